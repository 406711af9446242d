package tracking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	fastjson "github.com/goccy/go-json"

	"github.com/srgplatform/srg/app/errs"
)

// Limits of one collect request (see docs/tracking-protocol.md).
const (
	MaxBodyBytes    = 64 << 10
	MaxEvents       = 50
	maxURL          = 2048
	maxTitle        = 512
	maxName         = 128
	maxProps        = 50
	maxPropValue    = 512
	maxFields       = 20
	maxFieldValue   = 256
	protocolVersion = 1
)

// Event types.
const (
	TypePageview = "pageview"
	TypeDownload = "download"
	TypeOutbound = "outbound"
	TypeForm     = "form"
	TypeIdentify = "identify"
	TypeTrack    = "track"
)

var eventTypes = map[string]bool{TypePageview: true, TypeDownload: true, TypeOutbound: true, TypeForm: true, TypeIdentify: true, TypeTrack: true}

// Batch is the body of POST /t/collect.
type Batch struct {
	V      int               `json:"v"`
	Site   string            `json:"site"`
	Events []json.RawMessage `json:"events"`
}

// Event is one event sent by the tracker.
type Event struct {
	ID     string            `json:"id"`
	Type   string            `json:"type"`
	TS     int64             `json:"ts"`
	VID    string            `json:"vid"`
	SID    string            `json:"sid"`
	SS     bool              `json:"ss"`
	SPA    bool              `json:"spa"`
	URL    string            `json:"url"`
	Ref    string            `json:"ref"`
	Title  string            `json:"title"`
	SW     int               `json:"sw"`
	SH     int               `json:"sh"`
	Lang   string            `json:"lang"`
	TZ     string            `json:"tz"`
	Link   string            `json:"link"`
	Form   *FormInfo         `json:"form"`
	Email  string            `json:"email"`
	Fields map[string]string `json:"fields"`
	Name   string            `json:"name"`
	Props  map[string]any    `json:"props"`

	// page is URL parsed by validate, so enrichment does not parse it again.
	page *url.URL
}

// FormInfo describes a submitted form.
type FormInfo struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Action string `json:"action"`
}

// typedBatch decodes a whole batch in one pass, with goccy/go-json (a drop-in
// encoding/json, several times faster): the common, valid case. Errors are explained
// by the standard library's slower, per-event pass.
type typedBatch struct {
	V      int     `json:"v"`
	Site   string  `json:"site"`
	Events []Event `json:"events"`
}

// DecodeBatch parses and validates a collect body. Errors are errs.Invalid naming the
// field at fault, such as events[3].type.
func DecodeBatch(body []byte) (string, []Event, error) {
	var tb typedBatch
	if decodeValid(body, &tb) {
		return tb.Site, tb.Events, nil
	}
	// Something is wrong: decode again event by event to name the field at fault.
	return decodeBatchSlowly(body)
}

// checkBatch validates a collect body as DecodeBatch does, for the request path,
// which keeps only the body: the events are decoded into tb (reused between
// requests) with strings that refer to the input, and dropped. It returns the site
// key (a copy) and the number of events.
func checkBatch(body []byte, tb *typedBatch) (string, int, error) {
	clear(tb.Events[:cap(tb.Events)]) // no map or string of an earlier request survives
	*tb = typedBatch{Events: tb.Events[:0]}
	if decodeValid(body, tb, fastjson.DecodeNoCopyString()) {
		return strings.Clone(tb.Site), len(tb.Events), nil
	}
	site, events, err := decodeBatchSlowly(body)
	return site, len(events), err
}

// decodeValid decodes a whole batch into tb in one pass and reports whether it is
// valid: the common case. What is wrong with an invalid one is explained by
// decodeBatchSlowly, with the standard library's slower, per-event pass.
func decodeValid(body []byte, tb *typedBatch, opts ...fastjson.DecodeOptionFunc) bool {
	// Unmarshal rather than a Decoder: on a body already in memory it is about four
	// times faster, and it refuses data after the object as the Decoder's More did.
	if err := fastjson.UnmarshalWithOption(body, tb, append(opts, disallowUnknownFields)...); err != nil ||
		tb.V != protocolVersion || tb.Site == "" || len(tb.Events) == 0 || len(tb.Events) > MaxEvents {
		return false
	}
	for i := range tb.Events {
		if field, _ := tb.Events[i].validate(); field != "" {
			return false
		}
	}
	return true
}

// disallowUnknownFields is go-json's Decoder.DisallowUnknownFields as an option of
// Unmarshal, which has none: the flag is read off a Decoder it was set on.
var disallowUnknownFields = func() fastjson.DecodeOptionFunc {
	dec := fastjson.NewDecoder(strings.NewReader("{}"))
	dec.DisallowUnknownFields()
	flags := (&fastjson.DecodeOption{}).Flags
	var empty struct{}
	if err := dec.DecodeWithOption(&empty, func(o *fastjson.DecodeOption) { flags = o.Flags }); err != nil {
		panic("tracking: go-json decoder options: " + err.Error())
	}
	return func(o *fastjson.DecodeOption) { o.Flags |= flags }
}()

func decodeBatchSlowly(body []byte) (string, []Event, error) {
	var b Batch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return "", nil, errs.Invalid(jsonField(err, ""), "malformed JSON: %s", jsonMessage(err))
	}
	if dec.More() {
		return "", nil, errs.Invalid("", "malformed JSON: data after the batch object")
	}
	if b.V != protocolVersion {
		return "", nil, errs.Invalid("v", "unsupported protocol version %d (want %d)", b.V, protocolVersion)
	}
	if b.Site == "" {
		return "", nil, errs.Invalid("site", "required")
	}
	if len(b.Events) == 0 {
		return "", nil, errs.Invalid("events", "at least one event is required")
	}
	if len(b.Events) > MaxEvents {
		return "", nil, errs.Invalid("events", "at most %d events per request, got %d", MaxEvents, len(b.Events))
	}
	events := make([]Event, len(b.Events))
	for i, raw := range b.Events {
		prefix := fmt.Sprintf("events[%d]", i)
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&events[i]); err != nil {
			return "", nil, errs.Invalid(jsonField(err, prefix), "malformed event: %s", jsonMessage(err))
		}
		if field, msg := events[i].validate(); field != "" {
			return "", nil, errs.Invalid(prefix+"."+field, "%s", msg)
		}
	}
	return b.Site, events, nil
}

func jsonField(err error, prefix string) string {
	var field string
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		field = e.Field
	default:
		if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
			field = strings.Trim(strings.TrimPrefix(s, "json: unknown field "), `"`)
		}
	}
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	default:
		return prefix + "." + field
	}
}

func jsonMessage(err error) string {
	if e, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("%s must be %s, got %s", e.Field, e.Type.String(), e.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// validate returns the first invalid field and why, or "" when the event is valid.
func (e *Event) validate() (string, string) {
	switch {
	case !validID(e.ID, 16, 64, false):
		return "id", "must be 16-64 characters of A-Z a-z 0-9 _ -"
	case !eventTypes[e.Type]:
		return "type", fmt.Sprintf("unknown event type %q", e.Type)
	case e.TS <= 0:
		return "ts", "must be a positive time in milliseconds since the epoch"
	case !validID(e.VID, 8, 64, true):
		return "vid", "must be 8-64 characters of A-Z a-z 0-9 . _ -"
	case !validID(e.SID, 8, 64, true):
		return "sid", "must be 8-64 characters of A-Z a-z 0-9 . _ -"
	case e.Type != TypeIdentify && e.Type != TypeTrack && e.URL == "":
		return "url", "required"
	case e.URL != "" && !e.parsePage():
		return "url", "must be an absolute http(s) URL of at most 2048 characters"
	case len(e.Ref) > maxURL:
		return "ref", "at most 2048 characters"
	case (e.Type == TypeDownload || e.Type == TypeOutbound) && !validHTTPURL(e.Link):
		return "link", "required: the absolute http(s) URL of the link"
	case e.Type == TypeIdentify && e.Email == "":
		return "email", "required for identify"
	case e.Email != "" && !validEmail(e.Email):
		return "email", "not an email address"
	case e.Type == TypeTrack && (e.Name == "" || len(e.Name) > maxName):
		return "name", "required for track, at most 128 characters"
	case e.SW < 0 || e.SW > 100000 || e.SH < 0 || e.SH > 100000:
		return "sw", "screen size out of range"
	case len(e.Lang) > 35:
		return "lang", "at most 35 characters"
	case len(e.TZ) > 64:
		return "tz", "at most 64 characters"
	}
	if e.Form != nil && (len(e.Form.ID) > 256 || len(e.Form.Name) > 256 || len(e.Form.Action) > maxURL) {
		return "form", "id and name at most 256 characters, action at most 2048"
	}
	if len(e.Fields) > maxFields {
		return "fields", "at most 20 fields"
	}
	for k, v := range e.Fields {
		if k == "" || len(k) > 64 {
			return "fields." + k, "names must be 1-64 characters"
		}
		if len(v) > maxFieldValue {
			e.Fields[k] = truncateUTF8(v, maxFieldValue)
		}
	}
	if len(e.Props) > maxProps {
		return "props", "at most 50 properties"
	}
	for k, v := range e.Props {
		if k == "" || len(k) > 64 {
			return "props." + k, "names must be 1-64 characters"
		}
		switch v := v.(type) {
		case string:
			if len(v) > maxPropValue {
				e.Props[k] = truncateUTF8(v, maxPropValue)
			}
		case float64, bool, nil:
		default:
			return "props." + k, "values must be strings, numbers, booleans or null"
		}
	}
	if len(e.Title) > maxTitle {
		e.Title = truncateUTF8(e.Title, maxTitle)
	}
	return "", ""
}

func validID(s string, minLen, maxLen int, dots bool) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.' && dots:
		default:
			return false
		}
	}
	return true
}

func validHTTPURL(s string) bool {
	_, ok := parseHTTPURL(s)
	return ok
}

func parseHTTPURL(s string) (*url.URL, bool) {
	if s == "" || len(s) > maxURL {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

func (e *Event) parsePage() bool {
	e.page, _ = parseHTTPURL(e.URL)
	return e.page != nil
}

func validEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
