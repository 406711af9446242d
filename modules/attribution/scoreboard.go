package attribution

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/attribution/model"
)

// Score is how well one model's channel weights predict conversion on journeys held
// out from learning: the log-loss (lower is better) and AUC (higher is better) of a
// logistic fit of conversion on the summed weights of a journey's channels.
type Score struct {
	Model   string  `json:"model"`
	LogLoss float64 `json:"log_loss"`
	AUC     float64 `json:"auc"`
	Train   int     `json:"train"`
	Holdout int     `json:"holdout"`
}

// holdoutShare of the journeys, chosen with a fixed seed, is kept out of learning.
const holdoutShare = 0.2

// example is a journey for the scoreboard.
type example struct {
	channels  []string
	journey   model.Journey // converting journeys only: rule-based models need it
	converted bool
	value     float64
}

// scoreboard learns each model's channel shares on most journeys and scores them on
// the rest.
func scoreboard(names []string, st *Settings, examples []example) ([]Score, error) {
	rng := rand.New(rand.NewPCG(bootstrapSeed, 7))
	order := rng.Perm(len(examples))
	cut := int(float64(len(examples)) * holdoutShare)
	var train, test []example
	for i, k := range order {
		if i < cut {
			test = append(test, examples[k])
		} else {
			train = append(train, examples[k])
		}
	}
	if len(test) == 0 || len(train) == 0 {
		return nil, nil
	}
	var out []Score
	for _, name := range names {
		w, err := trainShares(name, st, train)
		if err != nil {
			return nil, err
		}
		a, b := fitLogistic(features(w, train), labels(train))
		xs, ys := features(w, test), labels(test)
		ll := 0.0
		ps := make([]float64, len(xs))
		for i, x := range xs {
			p := min(max(sigmoid(a+b*x), 1e-12), 1-1e-12)
			ps[i] = p
			if ys[i] {
				ll -= math.Log(p)
			} else {
				ll -= math.Log(1 - p)
			}
		}
		out = append(out, Score{Model: name, LogLoss: ll / float64(len(xs)), AUC: auc(ps, ys), Train: len(train), Holdout: len(test)})
	}
	return out, nil
}

// trainShares are a model's channel shares learnt from the training journeys: for a
// rule-based model, the share of all credit each channel received.
func trainShares(name string, st *Settings, train []example) (map[string]float64, error) {
	w := map[string]float64{}
	if isDataDriven(name) {
		var conv, nulls [][]string
		var values []float64
		for _, e := range train {
			if e.converted {
				conv, values = append(conv, e.channels), append(values, e.value)
			} else {
				nulls = append(nulls, e.channels)
			}
		}
		if len(conv) == 0 {
			return w, nil
		}
		s := pathSet(conv, values, nulls)
		sh, err := shares(name, s, st.MarkovOrder)
		if err != nil {
			return nil, err
		}
		for i, c := range s.Channels {
			w[c] = sh[i]
		}
		return w, nil
	}
	m, err := model.ByName(name, st.params())
	if err != nil {
		return nil, err
	}
	var fr []float64
	total := 0.0
	for _, e := range train {
		if !e.converted {
			continue
		}
		fr = m.Weights(e.journey, fr)
		for i, t := range e.journey.Touches {
			w[t.Channel] += fr[i]
			total += fr[i]
		}
	}
	for c := range w {
		w[c] /= total
	}
	return w, nil
}

func features(w map[string]float64, es []example) []float64 {
	out := make([]float64, len(es))
	for i, e := range es {
		seen := map[string]bool{}
		for _, c := range e.channels {
			if !seen[c] {
				seen[c] = true
				out[i] += w[c]
			}
		}
	}
	return out
}

func labels(es []example) []bool {
	out := make([]bool, len(es))
	for i, e := range es {
		out[i] = e.converted
	}
	return out
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// fitLogistic fits p = sigmoid(a + b·x) by Newton's method with a small ridge, so
// separable data still gives finite coefficients.
func fitLogistic(xs []float64, ys []bool) (a, b float64) {
	const ridge = 1e-6
	for range 50 {
		var ga, gb, haa, hab, hbb float64
		for i, x := range xs {
			p := sigmoid(a + b*x)
			y := 0.0
			if ys[i] {
				y = 1
			}
			ga += p - y
			gb += (p - y) * x
			w := p * (1 - p)
			haa += w
			hab += w * x
			hbb += w * x * x
		}
		ga += ridge * a
		gb += ridge * b
		haa += ridge
		hbb += ridge
		det := haa*hbb - hab*hab
		if det == 0 {
			return a, b
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a, b = a-da, b-db
		if math.Abs(da)+math.Abs(db) < 1e-10 {
			break
		}
	}
	return a, b
}

// auc is the probability that a converting journey scores above one that did not
// (ties count half).
func auc(ps []float64, ys []bool) float64 {
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return ps[idx[i]] < ps[idx[j]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && ps[idx[j]] == ps[idx[i]] {
			j++
		}
		rank := float64(i+j+1) / 2 // average 1-based rank of the tie
		for k := i; k < j; k++ {
			if ys[idx[k]] {
				rankSum += rank
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func saveScores(ctx context.Context, db *gorm.DB, tenantID int64, scores []Score, at time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM attribution_scores WHERE tenant_id = ?`, tenantID).Error; err != nil {
			return fmt.Errorf("attribution: replace scores: %w", err)
		}
		for _, s := range scores {
			if math.IsNaN(s.AUC) {
				continue
			}
			if err := tx.Exec(`INSERT INTO attribution_scores (tenant_id, model, log_loss, auc, train, holdout, computed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, tenantID, s.Model, s.LogLoss, s.AUC, s.Train, s.Holdout, at).Error; err != nil {
				return fmt.Errorf("attribution: save scores: %w", err)
			}
		}
		return nil
	})
}

// Scores is the model scoreboard of the last full recompute, best log-loss first.
func (s *Service) Scores(ctx context.Context, tenantID int64) ([]Score, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var out []Score
	err := s.db.WithContext(ctx).Raw(`SELECT model, log_loss, auc, train, holdout FROM attribution_scores
		WHERE tenant_id = ? ORDER BY log_loss, model`, tenantID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("attribution: load scores: %w", err)
	}
	return slices.Clip(out), nil
}
