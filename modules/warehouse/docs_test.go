package warehouse

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The documents as structs, and their rows as the straightforward decoding makes
// them: the tests' seed data, and the oracle docDecoder is held to.

// tpDoc is the part of a touchpoint document that is exported.
type tpDoc struct {
	EventID        string    `json:"event_id"`
	OccurredAt     time.Time `json:"occurred_at"`
	ReceivedAt     time.Time `json:"received_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Type           string    `json:"type"`
	Name           string    `json:"name"`
	SiteKey        string    `json:"site_key"`
	VisitorID      string    `json:"visitor_id"`
	SessionID      string    `json:"session_id"`
	SessionStart   bool      `json:"session_start"`
	PersonID       string    `json:"person_id"`
	AccountID      string    `json:"account_id"`
	EmailDomain    string    `json:"email_domain"`
	URL            string    `json:"url"`
	Path           string    `json:"path"`
	Title          string    `json:"title"`
	Referrer       string    `json:"referrer"`
	ReferrerHost   string    `json:"referrer_host"`
	LandingPage    string    `json:"landing_page"`
	UTMSource      string    `json:"utm_source"`
	UTMMedium      string    `json:"utm_medium"`
	UTMCampaign    string    `json:"utm_campaign"`
	UTMTerm        string    `json:"utm_term"`
	UTMContent     string    `json:"utm_content"`
	UTMID          string    `json:"utm_id"`
	ClickIDType    string    `json:"click_id_type"`
	ClickID        string    `json:"click_id"`
	Channel        string    `json:"channel"`
	ChannelRule    string    `json:"channel_rule"`
	LinkURL        string    `json:"link_url"`
	FileExt        string    `json:"file_ext"`
	FormID         string    `json:"form_id"`
	FormName       string    `json:"form_name"`
	Browser        string    `json:"browser"`
	BrowserVersion string    `json:"browser_version"`
	OS             string    `json:"os"`
	DeviceType     string    `json:"device_type"`
	IsBot          bool      `json:"is_bot"`
	Country        string    `json:"country"`
	Screen         string    `json:"screen"`
	Language       string    `json:"language"`
	Timezone       string    `json:"timezone"`
}

// row is the touchpoint in touchpointColumns order.
func (d *tpDoc) row() []any {
	return []any{d.EventID, ts(d.OccurredAt), ts(d.ReceivedAt), ts(d.UpdatedAt), str(d.Type), str(d.Name), str(d.SiteKey),
		str(d.VisitorID), str(d.SessionID), d.SessionStart, str(d.PersonID), str(d.AccountID), str(d.EmailDomain),
		str(d.URL), str(d.Path), str(d.Title), str(d.Referrer), str(d.ReferrerHost), str(d.LandingPage),
		str(d.UTMSource), str(d.UTMMedium), str(d.UTMCampaign), str(d.UTMTerm), str(d.UTMContent), str(d.UTMID),
		str(d.ClickIDType), str(d.ClickID), str(d.Channel), str(d.ChannelRule), str(d.LinkURL), str(d.FileExt),
		str(d.FormID), str(d.FormName), str(d.Browser), str(d.BrowserVersion), str(d.OS), str(d.DeviceType),
		d.IsBot, str(d.Country), str(d.Screen), str(d.Language), str(d.Timezone)}
}

// creditDoc is a credit document: one per opportunity, with each of its touches'
// credit and fraction by model. Its strings are left out when empty and its
// dates written as epoch milliseconds, as srg writes them.
type creditDoc struct {
	OpportunityID     string            `json:"opportunity_id"`
	SettingsHash      string            `json:"settings_hash"`
	Kind              string            `json:"kind"`
	Currency          string            `json:"currency,omitempty"`
	OpportunityAmount float64           `json:"opportunity_amount"`
	OppCreatedAt      msDate            `json:"opportunity_created_at"`
	ClosedAt          *msDate           `json:"closed_at,omitempty"`
	ComputedAt        msDate            `json:"computed_at"`
	ModelVersions     map[string]string `json:"model_versions"`
	Touches           []creditTouch     `json:"touches"`
}

// creditTouch is one touch of a credit document. Its currency is the document's.
type creditTouch struct {
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
	TouchedAt    msDate             `json:"touched_at"`
	Credit       map[string]float64 `json:"credit"`
	Fractions    map[string]float64 `json:"fractions"`
}

// msDate is a date as epoch milliseconds in JSON; it also reads RFC 3339.
type msDate time.Time

func (m msDate) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Time(m).UnixMilli(), 10), nil
}

func (m *msDate) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		var t time.Time
		err := json.Unmarshal(b, &t)
		*m = msDate(t.UTC())
		return err
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("date %s: %w", b, err)
	}
	*m = msDate(time.UnixMilli(ms).UTC())
	return nil
}

func (m msDate) ts() any { return ts(time.Time(m)) }

// rows are the document's credits: for each touch, one per model, in a stable
// order.
func (d *creditDoc) rows(out [][]any) [][]any {
	var closed any
	if d.ClosedAt != nil {
		closed = d.ClosedAt.ts()
	}
	for _, t := range d.Touches {
		models := make([]string, 0, len(t.Credit))
		for m := range t.Credit {
			models = append(models, m)
		}
		slices.Sort(models)
		for _, m := range models {
			out = append(out, []any{str(t.CreditID), m, str(d.ModelVersions[m]), str(d.SettingsHash), str(d.OpportunityID),
				str(t.TouchpointID), str(t.PersonID), str(t.AccountID), str(d.Kind), str(t.Channel), str(t.ChannelRule),
				str(t.Campaign), str(t.Source), str(t.Medium), str(t.Content), str(t.LandingPage), t.TouchedAt.ts(),
				d.OppCreatedAt.ts(), closed, d.ComputedAt.ts(), t.Fractions[m], t.Credit[m], str(d.Currency), d.OpportunityAmount})
		}
	}
	return out
}
