package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/attribution/model"
)

// creditDocJSON is the credit document as encoding/json writes it from maps: the
// shape appendOpen, appendJSON and closeCreditDoc must produce. Dates are epoch
// milliseconds.
type creditDocJSON struct {
	OpportunityID     string            `json:"opportunity_id"`
	Tenant            string            `json:"tenant"`
	SettingsHash      string            `json:"settings_hash"`
	Kind              string            `json:"kind"`
	Currency          string            `json:"currency,omitempty"`
	OpportunityAmount float64           `json:"opportunity_amount"`
	OppCreatedAt      int64             `json:"opportunity_created_at"`
	ClosedAt          *int64            `json:"closed_at,omitempty"`
	ComputedAt        int64             `json:"computed_at"`
	ModelVersions     map[string]string `json:"model_versions"`
	Touches           []creditTouchJSON `json:"touches"`
}

type creditTouchJSON struct {
	CreditID     string             `json:"credit_id"`
	TouchpointID string             `json:"touchpoint_id"`
	PersonID     string             `json:"person_id,omitempty"`
	AccountID    string             `json:"account_id,omitempty"`
	Currency     string             `json:"currency,omitempty"`
	Channel      string             `json:"channel"`
	ChannelRule  string             `json:"channel_rule,omitempty"`
	Campaign     string             `json:"campaign,omitempty"`
	Source       string             `json:"source,omitempty"`
	Medium       string             `json:"medium,omitempty"`
	Content      string             `json:"content,omitempty"`
	LandingPage  string             `json:"landing_page,omitempty"`
	TouchedAt    int64              `json:"touched_at"`
	Credit       map[string]float64 `json:"credit"`
	Fractions    map[string]float64 `json:"fractions"`
}

// encodeCreditDoc encodes a document as the encoder does.
func encodeCreditDoc(d creditDoc, touches []creditTouch, m creditModels, cache *floatCache) ([]byte, error) {
	b, err := d.appendOpen(nil, m)
	if err != nil {
		return nil, err
	}
	for i := range touches {
		if b, err = touches[i].appendJSON(b, i == 0, d.Currency, m, cache); err != nil {
			return nil, err
		}
	}
	return closeCreditDoc(b), nil
}

// sameKeys fails when raw has a field encoding/json would omit from want, or
// lacks one it would write, at the top level and in each touch.
func sameKeys(t *testing.T, raw []byte, want creditDocJSON) {
	t.Helper()
	type doc struct {
		Fields  map[string]json.RawMessage
		Touches []map[string]json.RawMessage
	}
	decode := func(b []byte) doc {
		var d doc
		_ = json.Unmarshal(b, &d.Fields)
		var ts struct {
			Touches []map[string]json.RawMessage `json:"touches"`
		}
		_ = json.Unmarshal(b, &ts)
		d.Touches = ts.Touches
		return d
	}
	wantRaw, _ := json.Marshal(want)
	got, exp := decode(raw), decode(wantRaw)
	compare := func(where string, got, exp map[string]json.RawMessage) {
		for k := range exp {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: field %s missing", where, k)
			}
		}
		for k := range got {
			if _, ok := exp[k]; !ok {
				t.Errorf("%s: field %s written, encoding/json would omit it", where, k)
			}
		}
	}
	compare("document", got.Fields, exp.Fields)
	if len(got.Touches) != len(exp.Touches) {
		t.Fatalf("%d touches, want %d", len(got.Touches), len(exp.Touches))
	}
	for i := range exp.Touches {
		compare(fmt.Sprintf("touch %d", i), got.Touches[i], exp.Touches[i])
	}
}

func TestCreditDocJSON(t *testing.T) {
	models := newCreditModels([]string{"linear", "first_touch", "markov"}, []int{1, 2, 1})
	versions := map[string]string{"linear": "1", "first_touch": "2", "markov": "1"}
	closed := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	closedMs := int64(1773964800000)
	atMs := int64(1772359200123) // the nanoseconds cut to milliseconds
	const hourMs = int64(time.Hour / time.Millisecond)
	zeroMs := time.Time{}.UnixMilli()
	cases := []struct {
		name    string
		d       creditDoc
		touches []creditTouch
		want    creditDocJSON
	}{
		{"every field, two touches",
			creditDoc{Tenant: "acme", SettingsHash: "h", OpportunityID: "hubspot:o1", Kind: "revenue", Currency: "EUR",
				OpportunityAmount: 1000, OppCreatedAt: at.Add(time.Hour), ClosedAt: &closed, ComputedAt: at.Add(2 * time.Hour)},
			[]creditTouch{
				{CreditID: "c1", TouchpointID: "t1", PersonID: "7", AccountID: "3", Channel: "Email",
					ChannelRule: "email-medium", Campaign: "spring", Source: "news", Medium: "email", Content: "hero",
					LandingPage: "https://acme.example/?q=1&r=<2>", TouchedAt: at,
					Amounts: []float64{333.3333333333333, 1000, 1e-7}, Fractions: []float64{1.0 / 3, 1, 1e-10}},
				{CreditID: "c2", TouchpointID: "t2", Channel: "Direct", TouchedAt: at.Add(time.Hour),
					Amounts: []float64{666.6666666666666, 0, 0}, Fractions: []float64{2.0 / 3, 0, 0}},
			},
			creditDocJSON{OpportunityID: "hubspot:o1", Tenant: "acme", SettingsHash: "h", Kind: "revenue", Currency: "EUR",
				OpportunityAmount: 1000, OppCreatedAt: atMs + hourMs, ClosedAt: &closedMs, ComputedAt: atMs + 2*hourMs,
				ModelVersions: versions, Touches: []creditTouchJSON{
					{CreditID: "c1", TouchpointID: "t1", PersonID: "7", AccountID: "3", Currency: "EUR", Channel: "Email",
						ChannelRule: "email-medium", Campaign: "spring", Source: "news", Medium: "email", Content: "hero",
						LandingPage: "https://acme.example/?q=1&r=<2>", TouchedAt: atMs,
						Credit:    map[string]float64{"linear": 333.3333333333333, "first_touch": 1000, "markov": 1e-7},
						Fractions: map[string]float64{"linear": 1.0 / 3, "first_touch": 1, "markov": 1e-10}},
					{CreditID: "c2", TouchpointID: "t2", Currency: "EUR", Channel: "Direct", TouchedAt: atMs + hourMs,
						Credit: map[string]float64{"linear": 666.6666666666666}, Fractions: map[string]float64{"linear": 2.0 / 3}},
				}}},
		{"empty optional fields, uncredited model left out, strings needing escapes",
			creditDoc{Tenant: "acme", SettingsHash: "h", OpportunityID: "lead:\"9\"", Kind: "lead", OpportunityAmount: 1,
				OppCreatedAt: at, ComputedAt: at},
			[]creditTouch{{CreditID: "c2", TouchpointID: "t\\2\n\t\x01", Channel: "Caf\u00e9 \u2603 bad\xff", TouchedAt: at,
				Amounts: []float64{0, 1, 0}, Fractions: []float64{0, 1, 0}}},
			creditDocJSON{OpportunityID: "lead:\"9\"", Tenant: "acme", SettingsHash: "h", Kind: "lead", OpportunityAmount: 1,
				OppCreatedAt: atMs, ComputedAt: atMs, ModelVersions: versions, Touches: []creditTouchJSON{
					{CreditID: "c2", TouchpointID: "t\\2\n\t\x01", Channel: "Caf\u00e9 \u2603 bad\ufffd", TouchedAt: atMs,
						Credit: map[string]float64{"first_touch": 1}, Fractions: map[string]float64{"first_touch": 1}}}}},
		{"huge and negative amounts",
			creditDoc{Kind: "pipeline", OpportunityAmount: -2.5e22},
			[]creditTouch{{CreditID: "c3", Amounts: []float64{-2.5e22, 0, 0}, Fractions: []float64{1, 0, 0}}},
			creditDocJSON{Kind: "pipeline", OpportunityAmount: -2.5e22, OppCreatedAt: zeroMs, ComputedAt: zeroMs,
				ModelVersions: versions, Touches: []creditTouchJSON{{CreditID: "c3", TouchedAt: zeroMs,
					Credit: map[string]float64{"linear": -2.5e22}, Fractions: map[string]float64{"linear": 1}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := encodeCreditDoc(c.d, c.touches, models, nil)
			if err != nil {
				t.Fatal(err)
			}
			// A cache of the values just written changes nothing.
			cache := newFloatCache(2 * len(models.names))
			for range 2 {
				cached, err := encodeCreditDoc(c.d, c.touches, models, cache)
				if err != nil || string(cached) != string(raw) {
					t.Fatalf("with a cache: %s, %v; want %s", cached, err, raw)
				}
			}
			if !json.Valid(raw) {
				t.Fatalf("invalid JSON: %s", raw)
			}
			var got creditDocJSON
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatalf("decoded document differs (-want +got):\n%s\n%s", diff, raw)
			}
			sameKeys(t, raw, c.want)
		})
	}
}

func TestCreditDocJSONRejectsNonFinite(t *testing.T) {
	models := newCreditModels([]string{"linear"}, []int{1})
	for _, c := range []struct {
		amount float64
		credit float64
	}{{math.NaN(), 1}, {1, math.Inf(1)}} {
		_, err := encodeCreditDoc(creditDoc{OpportunityAmount: c.amount},
			[]creditTouch{{Amounts: []float64{c.credit}, Fractions: []float64{1}}}, models, nil)
		if !errors.Is(err, errNotFinite) {
			t.Errorf("amount %v, credit %v: err = %v, want errNotFinite", c.amount, c.credit, err)
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
	if !errors.Is(err, errNotFinite) || !strings.Contains(err.Error(), o.ID) {
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
