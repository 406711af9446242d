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

// creditDoc is a credit document: one per opportunity and touchpoint, with each
// model's amount and fraction.
type creditDoc struct {
	CreditID          string             `json:"credit_id"`
	SettingsHash      string             `json:"settings_hash"`
	OpportunityID     string             `json:"opportunity_id"`
	TouchpointID      string             `json:"touchpoint_id"`
	PersonID          string             `json:"person_id"`
	AccountID         string             `json:"account_id"`
	Kind              string             `json:"kind"`
	Currency          string             `json:"currency"`
	OpportunityAmount float64            `json:"opportunity_amount"`
	Channel           string             `json:"channel"`
	ChannelRule       string             `json:"channel_rule"`
	Campaign          string             `json:"campaign"`
	Source            string             `json:"source"`
	Medium            string             `json:"medium"`
	Content           string             `json:"content"`
	LandingPage       string             `json:"landing_page"`
	TouchedAt         time.Time          `json:"touched_at"`
	OppCreatedAt      time.Time          `json:"opportunity_created_at"`
	ClosedAt          *time.Time         `json:"closed_at"`
	ComputedAt        time.Time          `json:"computed_at"`
	Credit            map[string]float64 `json:"credit"`
	Fractions         map[string]float64 `json:"fractions"`
	ModelVersions     map[string]string  `json:"model_versions"`
}

// creditDocFields is creditDoc without its JSON methods.
type creditDocFields creditDoc

// MarshalJSON writes the dates as srg writes them: epoch milliseconds.
func (d creditDoc) MarshalJSON() ([]byte, error) {
	var closed *msDate
	if d.ClosedAt != nil {
		c := msDate(*d.ClosedAt)
		closed = &c
	}
	return json.Marshal(struct {
		creditDocFields
		TouchedAt    msDate  `json:"touched_at"`
		OppCreatedAt msDate  `json:"opportunity_created_at"`
		ClosedAt     *msDate `json:"closed_at"`
		ComputedAt   msDate  `json:"computed_at"`
	}{creditDocFields(d), msDate(d.TouchedAt), msDate(d.OppCreatedAt), closed, msDate(d.ComputedAt)})
}

// UnmarshalJSON reads dates of either form, epoch milliseconds or RFC 3339.
func (d *creditDoc) UnmarshalJSON(b []byte) error {
	v := struct {
		*creditDocFields
		TouchedAt    msDate  `json:"touched_at"`
		OppCreatedAt msDate  `json:"opportunity_created_at"`
		ClosedAt     *msDate `json:"closed_at"`
		ComputedAt   msDate  `json:"computed_at"`
	}{creditDocFields: (*creditDocFields)(d)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	d.TouchedAt, d.OppCreatedAt, d.ComputedAt = time.Time(v.TouchedAt), time.Time(v.OppCreatedAt), time.Time(v.ComputedAt)
	d.ClosedAt = nil
	if v.ClosedAt != nil {
		c := time.Time(*v.ClosedAt)
		d.ClosedAt = &c
	}
	return nil
}

// msDate is a date as epoch milliseconds in JSON; it also reads RFC 3339.
type msDate time.Time

func (m msDate) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Time(m).UnixMilli(), 10), nil
}

func (m *msDate) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
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

// rows are the document's credits, one per model, in a stable order.
func (d *creditDoc) rows(out [][]any) [][]any {
	models := make([]string, 0, len(d.Credit))
	for m := range d.Credit {
		models = append(models, m)
	}
	slices.Sort(models)
	for _, m := range models {
		out = append(out, []any{d.CreditID, m, str(d.ModelVersions[m]), str(d.SettingsHash), d.OpportunityID, str(d.TouchpointID),
			str(d.PersonID), str(d.AccountID), str(d.Kind), str(d.Channel), str(d.ChannelRule), str(d.Campaign), str(d.Source),
			str(d.Medium), str(d.Content), str(d.LandingPage), ts(d.TouchedAt), ts(d.OppCreatedAt), tsp(d.ClosedAt),
			ts(d.ComputedAt), d.Fractions[m], d.Credit[m], str(d.Currency), d.OpportunityAmount})
	}
	return out
}
