package attribution

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/attribution/markov"
	"github.com/srgplatform/srg/modules/attribution/model"
	"github.com/srgplatform/srg/modules/attribution/paths"
	"github.com/srgplatform/srg/modules/attribution/shapley"
)

// The data-driven models: they learn a weight per channel from all of the tenant's
// journeys, converting or not, and credit each touch of a journey in proportion to
// its channel's weight.
const (
	NameMarkov  = "markov"
	NameShapley = "shapley"
)

// bootstrapRounds resample the journeys for each channel's 95% interval; the seed is
// fixed so a recompute of the same data gives the same intervals.
const (
	bootstrapRounds = 40
	bootstrapSeed   = 20261122
)

func isDataDriven(name string) bool { return name == NameMarkov || name == NameShapley }

// ChannelWeight is a channel's learnt share of conversions, with the bootstrap 95%
// interval of that share and the number of journeys it was learnt from.
type ChannelWeight struct {
	Model    string  `json:"model"`
	Channel  string  `json:"channel"`
	Weight   float64 `json:"weight"`
	CILow    float64 `json:"ci_low" gorm:"column:ci_low"`
	CIHigh   float64 `json:"ci_high" gorm:"column:ci_high"`
	Journeys int     `json:"journeys"`
}

// channelModel credits a journey's touches in proportion to their channels'
// weights; a journey whose channels all weigh nothing is credited linearly.
type channelModel struct {
	name    string
	weights map[string]float64
}

func (m channelModel) Name() string { return m.name }
func (m channelModel) Version() int { return 1 }

func (m channelModel) Weights(j model.Journey, out []float64) []float64 {
	if cap(out) < len(j.Touches) {
		out = make([]float64, len(j.Touches))
	}
	out = out[:len(j.Touches)]
	sum := 0.0
	for i, t := range j.Touches {
		out[i] = m.weights[t.Channel]
		sum += out[i]
	}
	for i := range out {
		if sum > 0 {
			out[i] /= sum
		} else {
			out[i] = 1 / float64(len(out))
		}
	}
	return out
}

// pathSet turns channel sequences into a path set: converting journeys with their
// value, the others as nulls.
func pathSet(converting [][]string, values []float64, nulls [][]string) *paths.Set {
	s := &paths.Set{HasValue: true, HasNull: true}
	idx := map[string]int32{}
	intern := func(seq []string) []int32 {
		out := make([]int32, len(seq))
		for i, c := range seq {
			id, ok := idx[c]
			if !ok {
				id = int32(len(s.Channels))
				idx[c] = id
				s.Channels = append(s.Channels, c)
			}
			out[i] = id
		}
		return out
	}
	for i, seq := range converting {
		s.Paths = append(s.Paths, paths.Path{Touches: intern(seq), Conversions: 1, Value: values[i]})
	}
	for _, seq := range nulls {
		s.Paths = append(s.Paths, paths.Path{Touches: intern(seq), Null: 1})
	}
	s.Rows = len(s.Paths)
	return s
}

// shares fits one data-driven model and returns each channel's share of conversions.
func shares(name string, s *paths.Set, order int) ([]float64, error) {
	var att paths.Attribution
	switch name {
	case NameMarkov:
		r, err := markov.Attribute(s, markov.Options{Order: order})
		if err != nil {
			return nil, err
		}
		att = r.Attribution
	case NameShapley:
		r, err := shapley.Attribute(s, shapley.Options{Seed: bootstrapSeed})
		if err != nil {
			return nil, err
		}
		att = r.Attribution
	}
	total := 0.0
	for _, v := range att.Conversions {
		total += v
	}
	out := make([]float64, len(s.Channels))
	for i := range out {
		if total > 0 && i < len(att.Conversions) {
			out[i] = att.Conversions[i] / total
		}
	}
	return out, nil
}

// fitWeights learns the channel weights of each data-driven model, with a seeded
// bootstrap 95% interval per channel.
func fitWeights(names []string, order int, s *paths.Set) ([]ChannelWeight, error) {
	var out []ChannelWeight
	for _, name := range names {
		point, err := shares(name, s, order)
		if err != nil {
			return nil, fmt.Errorf("attribution: %s: %w", name, err)
		}
		// The resamples are drawn in order from one seeded source, then fitted on
		// every core: the intervals do not depend on how the fits were scheduled.
		rng := rand.New(rand.NewPCG(bootstrapSeed, uint64(len(name))))
		draws := make([][]int32, bootstrapRounds)
		for r := range draws {
			draws[r] = make([]int32, len(s.Paths))
			for i := range draws[r] {
				draws[r][i] = int32(rng.IntN(len(s.Paths)))
			}
		}
		fits := make([][]float64, bootstrapRounds)
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for r, draw := range draws {
			g.Go(func() error {
				re := &paths.Set{Channels: s.Channels, HasValue: s.HasValue, HasNull: s.HasNull, Paths: make([]paths.Path, len(draw)), Rows: len(draw)}
				for i, k := range draw {
					re.Paths[i] = s.Paths[k]
				}
				sh, err := shares(name, re, order)
				if err != nil {
					return fmt.Errorf("attribution: %s bootstrap: %w", name, err)
				}
				fits[r] = sh
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		samples := make([][]float64, len(s.Channels))
		for _, sh := range fits {
			for c, v := range sh {
				samples[c] = append(samples[c], v)
			}
		}
		for c, ch := range s.Channels {
			sort.Float64s(samples[c])
			out = append(out, ChannelWeight{Model: name, Channel: ch, Weight: point[c],
				CILow: quantile(samples[c], 0.025), CIHigh: quantile(samples[c], 0.975), Journeys: len(s.Paths)})
		}
	}
	return out, nil
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// weightsHash identifies the learnt weights, so credits record what they came from.
func weightsHash(ws []ChannelWeight) string {
	ws = slices.Clone(ws)
	slices.SortFunc(ws, func(a, b ChannelWeight) int {
		if a.Model != b.Model {
			return strings.Compare(a.Model, b.Model)
		}
		return strings.Compare(a.Channel, b.Channel)
	})
	h := sha256.New()
	for _, w := range ws {
		fmt.Fprintf(h, "%s|%s|%s\n", w.Model, w.Channel, strconv.FormatFloat(w.Weight, 'g', -1, 64))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func saveWeights(ctx context.Context, db *gorm.DB, tenantID int64, ws []ChannelWeight, at time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM attribution_weights WHERE tenant_id = ?`, tenantID).Error; err != nil {
			return fmt.Errorf("attribution: replace weights: %w", err)
		}
		for _, w := range ws {
			if err := tx.Exec(`INSERT INTO attribution_weights (tenant_id, model, channel, weight, ci_low, ci_high, journeys, computed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tenantID, w.Model, w.Channel, w.Weight, w.CILow, w.CIHigh, w.Journeys, at).Error; err != nil {
				return fmt.Errorf("attribution: save weights: %w", err)
			}
		}
		return nil
	})
}

func loadWeights(ctx context.Context, db *gorm.DB, tenantID int64) ([]ChannelWeight, error) {
	var ws []ChannelWeight
	err := db.WithContext(ctx).Raw(`SELECT model, channel, weight, ci_low, ci_high, journeys FROM attribution_weights
		WHERE tenant_id = ? ORDER BY model, channel`, tenantID).Scan(&ws).Error
	if err != nil {
		return nil, fmt.Errorf("attribution: load weights: %w", err)
	}
	return ws, nil
}

// Weights are the learnt channel weights of the tenant's data-driven models.
func (s *Service) Weights(ctx context.Context, tenantID int64) ([]ChannelWeight, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return loadWeights(ctx, s.db, tenantID)
}

func dataDrivenNames(st Settings) []string {
	var out []string
	for _, n := range st.modelNames() {
		if isDataDriven(n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// learn reads every journey — the opportunities' (converting, with their amount)
// and those of tracked people with no opportunity (not converting) — fits the
// data-driven models and stores their weights. It returns the weights and the
// journeys as examples for the scoreboard (none when nothing converted).
func (s *Service) learn(ctx context.Context, tenantID int64, st *Settings, names []string, opps []*opportunity, byPerson map[string][]*touch, at time.Time) ([]ChannelWeight, []example, error) {
	var converting [][]string
	var values []float64
	var examples []example
	linked := map[string]bool{}
	lookback := time.Duration(st.LookbackDays) * 24 * time.Hour
	for _, o := range opps {
		if o.Lead || o.Deleted {
			continue
		}
		for _, p := range o.People {
			linked[p] = true
		}
		touches := o.journey(byPerson, lookback, at)
		if seq := channelsOf(touches); len(seq) > 0 {
			converting = append(converting, seq)
			values = append(values, o.Amount)
			examples = append(examples, example{channels: seq, journey: journeyOf(o, touches), converted: true, value: o.Amount})
		}
	}
	var people []string
	if err := s.db.WithContext(ctx).Raw(`SELECT id::text FROM people WHERE tenant_id = ? ORDER BY id`, tenantID).Scan(&people).Error; err != nil {
		return nil, nil, fmt.Errorf("attribution: people: %w", err)
	}
	people = slices.DeleteFunc(people, func(p string) bool { return linked[p] })
	from := at.Add(-lookback)
	var ts []*touch
	var nulls [][]string
	for _, p := range people {
		ts = ts[:0]
		for _, t := range byPerson[p] {
			if !t.OccurredAt.Before(from) {
				ts = append(ts, t)
			}
		}
		sortTouches(ts)
		if seq := channelsOf(ts); len(seq) > 0 {
			nulls = append(nulls, seq)
			examples = append(examples, example{channels: seq})
		}
	}
	if len(converting) == 0 {
		return nil, nil, nil
	}
	ws, err := fitWeights(names, st.MarkovOrder, pathSet(converting, values, nulls))
	if err != nil {
		return nil, nil, err
	}
	if err := saveWeights(ctx, s.db, tenantID, ws, at); err != nil {
		return nil, nil, err
	}
	return ws, examples, nil
}

// score scores every model of the settings on the examples and stores the
// scoreboard.
func (s *Service) score(ctx context.Context, tenantID int64, st *Settings, examples []example, at time.Time) error {
	scores, err := scoreboard(st.modelNames(), st, examples)
	if err != nil {
		return err
	}
	return saveScores(ctx, s.db, tenantID, scores, at)
}

func channelsOf(ts []*touch) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Channel
	}
	return out
}
