package attribution

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/attribution/model"
)

func TestAUC(t *testing.T) {
	cases := []struct {
		name string
		ps   []float64
		ys   []bool
		want float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		// One pair in four is out of order: 3/4.
		{"one swap", []float64{0.1, 0.6, 0.5, 0.9}, []bool{false, false, true, true}, 0.75},
		{"all tied", []float64{0.5, 0.5, 0.5}, []bool{true, false, true}, 0.5},
	}
	for _, c := range cases {
		if got := auc(c.ps, c.ys); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: auc = %v, want %v", c.name, got, c.want)
		}
	}
	if !math.IsNaN(auc([]float64{0.1}, []bool{true})) {
		t.Error("auc with one class should be NaN")
	}
}

func TestFitLogisticRecoversCoefficients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var xs []float64
	var ys []bool
	for range 20000 {
		x := rng.Float64()*4 - 2
		xs = append(xs, x)
		ys = append(ys, rng.Float64() < sigmoid(-0.5+1.5*x))
	}
	a, b := fitLogistic(xs, ys)
	if math.Abs(a+0.5) > 0.1 || math.Abs(b-1.5) > 0.1 {
		t.Fatalf("fit a=%v b=%v, want about -0.5 and 1.5", a, b)
	}
}

// TestScoreboardPrefersInformativeWeights: journeys that touch "Webinar" convert,
// those touching only "Display" do not. Markov and Shapley learn that Display adds
// nothing; first touch gives Display the credit of every journey it opens, so it
// predicts worse. The scoreboard must say so, and be deterministic.
func TestScoreboardPrefersInformativeWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ex []example
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 600 {
		if i%2 == 0 {
			chs := []string{"Display", "Webinar"}
			if rng.IntN(2) == 0 {
				chs = []string{"Webinar"}
			}
			j := model.Journey{ConvertedAt: at}
			for k, c := range chs {
				j.Touches = append(j.Touches, model.Touch{At: at.Add(time.Duration(k) * time.Hour), Channel: c, Type: "pageview"})
			}
			j.Touches[0].Milestones |= model.FirstTouch
			ex = append(ex, example{channels: chs, journey: j, converted: true, value: 100})
		} else {
			ex = append(ex, example{channels: []string{"Display"}})
		}
	}
	st := DefaultSettings()
	scores, err := scoreboard([]string{"first_touch", "linear", NameMarkov, NameShapley}, &st, ex)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := scoreboard([]string{"first_touch", "linear", NameMarkov, NameShapley}, &st, ex)
	if len(scores) != 4 {
		t.Fatalf("scores = %+v", scores)
	}
	for i, s := range scores {
		if s != again[i] {
			t.Fatalf("not deterministic: %+v vs %+v", s, again[i])
		}
		if s.Holdout != 120 || s.Train != 480 {
			t.Fatalf("split = %+v", s)
		}
	}
	byModel := map[string]Score{}
	for _, s := range scores {
		byModel[s.Model] = s
	}
	for _, m := range []string{NameMarkov, NameShapley} {
		if byModel[m].AUC < 0.9 || byModel[m].LogLoss >= byModel["first_touch"].LogLoss {
			t.Errorf("%s scored %+v, first touch %+v", m, byModel[m], byModel["first_touch"])
		}
	}
}
