package attribution

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/attribution/model"
)

// creditJSON is the credit document as encoding/json writes it from maps: the
// shape appendJSON must produce. Dates are epoch milliseconds.
type creditJSON struct {
	CreditID          string             `json:"credit_id"`
	Tenant            string             `json:"tenant"`
	SettingsHash      string             `json:"settings_hash"`
	OpportunityID     string             `json:"opportunity_id"`
	TouchpointID      string             `json:"touchpoint_id"`
	PersonID          string             `json:"person_id,omitempty"`
	AccountID         string             `json:"account_id,omitempty"`
	Kind              string             `json:"kind"`
	Currency          string             `json:"currency,omitempty"`
	OpportunityAmount float64            `json:"opportunity_amount"`
	Channel           string             `json:"channel"`
	ChannelRule       string             `json:"channel_rule,omitempty"`
	Campaign          string             `json:"campaign,omitempty"`
	Source            string             `json:"source,omitempty"`
	Medium            string             `json:"medium,omitempty"`
	Content           string             `json:"content,omitempty"`
	LandingPage       string             `json:"landing_page,omitempty"`
	TouchedAt         int64              `json:"touched_at"`
	OppCreatedAt      int64              `json:"opportunity_created_at"`
	ClosedAt          *int64             `json:"closed_at,omitempty"`
	ComputedAt        int64              `json:"computed_at"`
	Credit            map[string]float64 `json:"credit"`
	Fractions         map[string]float64 `json:"fractions"`
	ModelVersions     map[string]string  `json:"model_versions"`
}

func TestCreditAppendJSON(t *testing.T) {
	models := newCreditModels([]string{"linear", "first_touch", "markov"}, []int{1, 2, 1})
	closed := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	closedMs := int64(1773964800000)
	atMs := int64(1772359200123) // the nanoseconds cut to milliseconds
	const hourMs = int64(time.Hour / time.Millisecond)
	zeroMs := time.Time{}.UnixMilli()
	cases := []struct {
		name string
		c    credit
		want creditJSON
	}{
		{"every field",
			credit{CreditID: "c1", Tenant: "acme", SettingsHash: "h", OpportunityID: "hubspot:o1", TouchpointID: "t1",
				PersonID: "7", AccountID: "3", Kind: "revenue", Currency: "EUR", OpportunityAmount: 1000, Channel: "Email",
				ChannelRule: "email-medium", Campaign: "spring", Source: "news", Medium: "email", Content: "hero",
				LandingPage: "https://acme.example/?q=1&r=<2>", TouchedAt: at, OppCreatedAt: at.Add(time.Hour), ClosedAt: &closed,
				ComputedAt: at.Add(2 * time.Hour), Amounts: []float64{333.3333333333333, 1000, 1e-7}, Fractions: []float64{1.0 / 3, 1, 1e-10}},
			creditJSON{CreditID: "c1", Tenant: "acme", SettingsHash: "h", OpportunityID: "hubspot:o1", TouchpointID: "t1",
				PersonID: "7", AccountID: "3", Kind: "revenue", Currency: "EUR", OpportunityAmount: 1000, Channel: "Email",
				ChannelRule: "email-medium", Campaign: "spring", Source: "news", Medium: "email", Content: "hero",
				LandingPage: "https://acme.example/?q=1&r=<2>", TouchedAt: atMs, OppCreatedAt: atMs + hourMs, ClosedAt: &closedMs,
				ComputedAt: atMs + 2*hourMs, Credit: map[string]float64{"linear": 333.3333333333333, "first_touch": 1000, "markov": 1e-7},
				Fractions: map[string]float64{"linear": 1.0 / 3, "first_touch": 1, "markov": 1e-10}}},
		{"empty optional fields, uncredited model left out, strings needing escapes",
			credit{CreditID: "c2", Tenant: "acme", SettingsHash: "h", OpportunityID: "lead:\"9\"", TouchpointID: "t\\2\n\t\x01",
				Kind: "lead", OpportunityAmount: 1, Channel: "Caf\u00e9 \u2603 bad\xff", TouchedAt: at, OppCreatedAt: at, ComputedAt: at,
				Amounts: []float64{0, 1, 0}, Fractions: []float64{0, 1, 0}},
			creditJSON{CreditID: "c2", Tenant: "acme", SettingsHash: "h", OpportunityID: "lead:\"9\"", TouchpointID: "t\\2\n\t\x01",
				Kind: "lead", OpportunityAmount: 1, Channel: "Caf\u00e9 \u2603 bad\ufffd", TouchedAt: atMs, OppCreatedAt: atMs, ComputedAt: atMs,
				Credit: map[string]float64{"first_touch": 1}, Fractions: map[string]float64{"first_touch": 1}}},
		{"huge and negative amounts",
			credit{CreditID: "c3", Kind: "pipeline", OpportunityAmount: -2.5e22, Amounts: []float64{-2.5e22, 0, 0},
				Fractions: []float64{1, 0, 0}},
			creditJSON{CreditID: "c3", Kind: "pipeline", OpportunityAmount: -2.5e22, TouchedAt: zeroMs, OppCreatedAt: zeroMs, ComputedAt: zeroMs,
				Credit: map[string]float64{"linear": -2.5e22}, Fractions: map[string]float64{"linear": 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := c.c.appendJSON(nil, models, nil)
			if err != nil {
				t.Fatal(err)
			}
			// A cache of the values just written changes nothing.
			cache := newFloatCache(2 * len(models.names))
			for range 2 {
				cached, err := c.c.appendJSON(nil, models, cache)
				if err != nil || string(cached) != string(raw) {
					t.Fatalf("with a cache: %s, %v; want %s", cached, err, raw)
				}
			}
			if !json.Valid(raw) {
				t.Fatalf("invalid JSON: %s", raw)
			}
			var got creditJSON
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			c.want.ModelVersions = map[string]string{"linear": "1", "first_touch": "2", "markov": "1"}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatalf("decoded document differs (-want +got):\n%s\n%s", diff, raw)
			}
			// Every field encoding/json would write, and no other.
			var gotKeys, wantKeys map[string]json.RawMessage
			want, _ := json.Marshal(c.want)
			_ = json.Unmarshal(raw, &gotKeys)
			_ = json.Unmarshal(want, &wantKeys)
			for k := range wantKeys {
				if _, ok := gotKeys[k]; !ok {
					t.Errorf("field %s missing", k)
				}
			}
			for k := range gotKeys {
				if _, ok := wantKeys[k]; !ok {
					t.Errorf("field %s written, encoding/json would omit it", k)
				}
			}
		})
	}
}

func TestCreditAppendJSONRejectsNonFinite(t *testing.T) {
	models := newCreditModels([]string{"linear"}, []int{1})
	for _, c := range []credit{
		{OpportunityAmount: math.NaN(), Amounts: []float64{1}, Fractions: []float64{1}},
		{OpportunityAmount: 1, Amounts: []float64{math.Inf(1)}, Fractions: []float64{1}},
	} {
		if _, err := c.appendJSON(nil, models, nil); !errors.Is(err, errNotFinite) {
			t.Errorf("amount %v, credit %v: err = %v, want errNotFinite", c.OpportunityAmount, c.Amounts, err)
		}
	}
}

// An opportunity whose amount is not a number fails its run with an error naming
// the credit, rather than writing an invalid document.
func TestCreditEncoderRejectsNonFiniteAmount(t *testing.T) {
	m, err := model.ByName(model.NameLinear, DefaultSettings().params())
	if err != nil {
		t.Fatal(err)
	}
	enc := &creditEncoder{tenant: "acme", models: []model.Model{m}, names: newCreditModels([]string{m.Name()}, []int{m.Version()})}
	o := &opportunity{ID: "hubspot:o1", Amount: math.NaN()}
	err = enc.add(o, []*touch{{EventID: "t1", Channel: "Email"}})
	if !errors.Is(err, errNotFinite) || !strings.Contains(err.Error(), creditID(o.ID, "t1")) {
		t.Fatalf("err = %v", err)
	}
	if len(enc.take()) != 0 {
		t.Fatal("a document was kept")
	}
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.1, 1.0 / 3, 1e-6, 9.99e-7, 1e-9, 1.5e-10, 1e20, 1e21, 123456789.125, -3.4e-8} {
		want, _ := json.Marshal(f)
		if got := string(appendJSONFloat(nil, f)); got != string(want) {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
}
