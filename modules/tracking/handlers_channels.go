package tracking

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/tracking/channel"
)

// previewSize is how many recent visits the channel rules preview classifies.
const previewSize = 200

// maxRulesBytes bounds a submitted rules document.
const maxRulesBytes = 256 << 10

// PreviewRow is a recent visit, the channel it was given when tracked and the one
// the rules shown would give it.
type PreviewRow struct {
	At                    time.Time
	URL                   string
	Source, Medium        string
	Campaign, ClickIDType string
	ReferrerHost          string
	WasChannel, WasRule   string
	Channel, Rule         string
}

// Changed reports whether the rules shown classify the visit differently.
func (r PreviewRow) Changed() bool { return r.Channel != r.WasChannel || r.Rule != r.WasRule }

// ChannelsPage is the view model of the channel rules page.
type ChannelsPage struct {
	web.Page
	// Rules is the JSON document in the editor.
	Rules    string
	Channels []string
	Preview  []PreviewRow
	Changed  int
	// Previewing is set when the preview shows submitted rules rather than the
	// saved ones.
	Previewing bool
	Saved      bool
	Error      string
}

func (m *Module) channelsView(c echo.Context, rulesText string, rules channel.Rules, sites []SiteRecord) (ChannelsPage, error) {
	page, err := m.layout.Page(c, "Channel rules", "settings.channels")
	if err != nil {
		return ChannelsPage{}, err
	}
	v := ChannelsPage{Page: page, Rules: rulesText, Channels: channel.Channels(), Saved: c.QueryParam("saved") == "1"}
	if rules == nil {
		return v, nil
	}
	classifier, err := rules.Compile()
	if err != nil {
		return v, errs.Invalid("rules", "%v", err)
	}
	if m.recent == nil {
		return v, nil
	}
	docs, err := m.recent.RecentVisits(c.Request().Context(), c.Param("tenant"), previewSize)
	if err != nil {
		return v, err
	}
	for _, raw := range docs {
		var tp Touchpoint
		if err := json.Unmarshal(raw, &tp); err != nil {
			return v, err
		}
		row := PreviewRow{At: tp.OccurredAt, URL: tp.URL, Source: tp.UTMSource, Medium: tp.UTMMedium, Campaign: tp.UTMCampaign,
			ClickIDType: tp.ClickIDType, ReferrerHost: tp.ReferrerHost, WasChannel: tp.Channel, WasRule: tp.ChannelRule}
		internal := false
		if i := slices.IndexFunc(sites, func(s SiteRecord) bool { return s.Key == tp.SiteKey }); i >= 0 && tp.ReferrerHost != "" {
			internal = Site{SiteRecord: sites[i]}.AllowsHost(tp.ReferrerHost)
		}
		row.Channel, row.Rule = classifier.Classify(channel.Input{Source: tp.UTMSource, Medium: tp.UTMMedium, Campaign: tp.UTMCampaign,
			ClickIDType: tp.ClickIDType, ReferrerHost: tp.ReferrerHost, Internal: internal})
		if row.Changed() {
			v.Changed++
		}
		v.Preview = append(v.Preview, row)
	}
	return v, nil
}

func indentRules(r channel.Rules) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

func (m *Module) channelsPage(c echo.Context) error {
	tenantID, sites, err := m.tenantSites(c)
	if err != nil {
		return err
	}
	rules, err := m.store.rules(c.Request().Context(), tenantID)
	if err != nil {
		return err
	}
	v, err := m.channelsView(c, indentRules(rules), rules, sites)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "tracking/channels", v)
}

// submittedRules reads the rules document of the form: "reset" asks for the
// built-in table.
func submittedRules(c echo.Context) (string, channel.Rules, error) {
	if c.FormValue("reset") != "" {
		d := channel.Default()
		return indentRules(d), d, nil
	}
	text := c.FormValue("rules")
	if len(text) > maxRulesBytes {
		return text, nil, errs.Invalid("rules", "the rules are over %d KB", maxRulesBytes>>10)
	}
	var rules channel.Rules
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rules); err != nil {
		return text, nil, errs.Invalid("rules", "the rules are not a JSON list of rules: %v", err)
	}
	if err := rules.Validate(); err != nil {
		return text, nil, errs.Invalid("rules", "%v", err)
	}
	return text, rules, nil
}

// rulesError shows the form again with the submitted text and what is wrong.
func (m *Module) rulesError(c echo.Context, text string, sites []SiteRecord, err error) error {
	if errs.KindOf(err) != errs.KindInvalid {
		return err
	}
	v, verr := m.channelsView(c, text, nil, sites)
	if verr != nil {
		return verr
	}
	v.Error = errs.MessageOf(err)
	return c.Render(http.StatusBadRequest, "tracking/channels", v)
}

// previewChannelsPage classifies the recent visits with the submitted rules,
// saving nothing.
func (m *Module) previewChannelsPage(c echo.Context) error {
	_, sites, err := m.tenantSites(c)
	if err != nil {
		return err
	}
	text, rules, err := submittedRules(c)
	if err != nil {
		return m.rulesError(c, text, sites, err)
	}
	v, err := m.channelsView(c, text, rules, sites)
	if err != nil {
		return m.rulesError(c, text, sites, err)
	}
	v.Previewing = true
	return c.Render(http.StatusOK, "tracking/channels", v)
}

// saveChannelsPage replaces the tenant's channel rules; they classify visits
// tracked from then on.
func (m *Module) saveChannelsPage(c echo.Context) error {
	ctx := c.Request().Context()
	tenantID, sites, err := m.tenantSites(c)
	if err != nil {
		return err
	}
	text, rules, err := submittedRules(c)
	if err == nil {
		err = m.SetChannelRules(ctx, tenantID, rules)
	}
	if err != nil {
		return m.rulesError(c, text, sites, err)
	}
	if err := audit.Record(ctx, m.store.db, audit.Entry{TenantID: &tenantID, Actor: web.Actor(c), Action: "settings.channels",
		RemoteAddr: c.RealIP(), Details: map[string]any{"rules": len(rules)}}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/settings/channels?saved=1")
}
