package tracking

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/tracking/channel"
	"github.com/srgplatform/srg/modules/tracking/enrich"
)

// Touchpoint is an enriched event as indexed in srg-<tenant>-touchpoints; its fields
// follow migrations/elasticsearch/touchpoints.json.
type Touchpoint struct {
	EventID    string    `json:"event_id"`
	Tenant     string    `json:"tenant"`
	SiteKey    string    `json:"site_key"`
	Type       string    `json:"type"`
	Name       string    `json:"name,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
	ReceivedAt time.Time `json:"received_at"`
	// UpdatedAt is when the document was last written (indexed, or given its
	// person): warehouse exports page through touchpoints by it.
	UpdatedAt      time.Time      `json:"updated_at"`
	VisitorID      string         `json:"visitor_id"`
	SessionID      string         `json:"session_id"`
	SessionStart   bool           `json:"session_start"`
	PersonID       string         `json:"person_id,omitempty"`
	AccountID      string         `json:"account_id,omitempty"`
	EmailDomain    string         `json:"email_domain,omitempty"`
	URL            string         `json:"url,omitempty"`
	Path           string         `json:"path,omitempty"`
	Title          string         `json:"title,omitempty"`
	Referrer       string         `json:"referrer,omitempty"`
	ReferrerHost   string         `json:"referrer_host,omitempty"`
	LandingPage    string         `json:"landing_page,omitempty"`
	UTMSource      string         `json:"utm_source,omitempty"`
	UTMMedium      string         `json:"utm_medium,omitempty"`
	UTMCampaign    string         `json:"utm_campaign,omitempty"`
	UTMTerm        string         `json:"utm_term,omitempty"`
	UTMContent     string         `json:"utm_content,omitempty"`
	UTMID          string         `json:"utm_id,omitempty"`
	ClickIDType    string         `json:"click_id_type,omitempty"`
	ClickID        string         `json:"click_id,omitempty"`
	Channel        string         `json:"channel"`
	ChannelRule    string         `json:"channel_rule"`
	LinkURL        string         `json:"link_url,omitempty"`
	FileExt        string         `json:"file_ext,omitempty"`
	FormID         string         `json:"form_id,omitempty"`
	FormName       string         `json:"form_name,omitempty"`
	FormAction     string         `json:"form_action,omitempty"`
	Browser        string         `json:"browser,omitempty"`
	BrowserVersion string         `json:"browser_version,omitempty"`
	OS             string         `json:"os,omitempty"`
	DeviceType     string         `json:"device_type,omitempty"`
	IsBot          bool           `json:"is_bot"`
	IP             string         `json:"ip,omitempty"`
	Country        string         `json:"country,omitempty"`
	Screen         string         `json:"screen,omitempty"`
	Language       string         `json:"language,omitempty"`
	Timezone       string         `json:"timezone,omitempty"`
	Props          map[string]any `json:"props,omitempty"`
}

// requestInfo is what enrichment takes from the HTTP request rather than the event.
type requestInfo struct {
	received time.Time
	ip       netip.Addr // already anonymised when configured
	country  string
	device   enrich.Device
}

// clockSkew bounds how far the client's clock is trusted: outside it, the event is
// dated when it was received.
const (
	maxEventAge    = 30 * 24 * time.Hour
	maxEventFuture = 10 * time.Minute
)

// buildTouchpoint enriches one validated event.
func buildTouchpoint(ev *Event, site Site, req requestInfo, rules *channel.Classifier) Touchpoint {
	tp := Touchpoint{
		EventID:        ev.ID,
		Tenant:         site.Tenant,
		SiteKey:        site.Key,
		Type:           ev.Type,
		Name:           ev.Name,
		ReceivedAt:     req.received,
		OccurredAt:     req.received,
		VisitorID:      ev.VID,
		SessionID:      ev.SID,
		SessionStart:   ev.SS,
		Title:          ev.Title,
		Referrer:       ev.Ref,
		LinkURL:        ev.Link,
		Browser:        req.device.Browser,
		BrowserVersion: req.device.BrowserVersion,
		OS:             req.device.OS,
		DeviceType:     req.device.DeviceType,
		IsBot:          req.device.Bot,
		Country:        req.country,
		Language:       ev.Lang,
		Timezone:       ev.TZ,
		Props:          ev.Props,
	}
	if t := time.UnixMilli(ev.TS).UTC(); t.After(req.received.Add(-maxEventAge)) && t.Before(req.received.Add(maxEventFuture)) {
		tp.OccurredAt = t
	}
	if req.ip.IsValid() {
		tp.IP = req.ip.String()
	}
	if ev.SW > 0 && ev.SH > 0 {
		tp.Screen = strconv.Itoa(ev.SW) + "x" + strconv.Itoa(ev.SH)
	}
	if ev.Form != nil {
		tp.FormID, tp.FormName, tp.FormAction = ev.Form.ID, ev.Form.Name, ev.Form.Action
	}
	if ev.Email != "" {
		tp.EmailDomain = strings.ToLower(ev.Email[strings.LastIndexByte(ev.Email, '@')+1:])
	}
	if ev.Type == TypeDownload {
		tp.FileExt = fileExt(ev.Link)
	}

	var camp enrich.Campaign
	if u := ev.page; u != nil {
		tp.URL = ev.URL
		tp.Path = u.EscapedPath()
		if tp.Path == "" {
			tp.Path = "/"
		}
		camp = enrich.ParseCampaign(u)
		if ev.SS {
			tp.LandingPage = ev.URL
		}
	}
	tp.UTMSource, tp.UTMMedium, tp.UTMCampaign = camp.Source, camp.Medium, camp.Name
	tp.UTMTerm, tp.UTMContent, tp.UTMID = camp.Term, camp.Content, camp.ID
	tp.ClickIDType, tp.ClickID = camp.ClickIDType, camp.ClickID

	tp.ReferrerHost = enrich.ReferrerHost(ev.Ref)
	tp.Channel, tp.ChannelRule = rules.Classify(channel.Input{
		Source:       camp.Source,
		Medium:       camp.Medium,
		Campaign:     camp.Name,
		ClickIDType:  camp.ClickIDType,
		ReferrerHost: tp.ReferrerHost,
		Internal:     tp.ReferrerHost != "" && site.AllowsHost(tp.ReferrerHost),
	})
	return tp
}

func fileExt(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	p := u.Path
	i := strings.LastIndexByte(p, '.')
	if i < 0 || i < strings.LastIndexByte(p, '/') || len(p)-i > 8 {
		return ""
	}
	return strings.ToLower(p[i+1:])
}
