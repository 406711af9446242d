package attribution

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// creditDoc is one opportunity's credit document: what every model gave each of its
// touchpoints, the touches nested. One document per opportunity rather than per
// (opportunity, touchpoint) or per model: Elasticsearch indexes a nested touch
// for less than a document of its own (no id, version or source of its own),
// 1.4 to 1.6 times as many credits a second in a bulk load; reports sum
// touches.credit.<model> in a nested aggregation.
type creditDoc struct {
	Tenant            string
	SettingsHash      string
	OpportunityID     string
	Kind              string
	Currency          string
	OpportunityAmount float64
	OppCreatedAt      time.Time
	ClosedAt          *time.Time
	ComputedAt        time.Time
}

// creditTouch is what every model gave one touchpoint of an opportunity.
type creditTouch struct {
	CreditID     string
	TouchpointID string
	PersonID     string
	AccountID    string
	Channel      string
	ChannelRule  string
	Campaign     string
	Source       string
	Medium       string
	Content      string
	LandingPage  string
	TouchedAt    time.Time
	// Amounts and Fractions are each model's share, in the order of the run's
	// models (creditModels); a zero fraction means the model did not credit the
	// touch, and the document leaves it out.
	Amounts   []float64
	Fractions []float64
}

// creditModels are the names of a run's models, in the order of credit.Amounts,
// and the model_versions object every document carries, encoded once.
type creditModels struct {
	names    []string
	versions []byte
}

func newCreditModels(names []string, versions []int) creditModels {
	m := creditModels{names: names}
	b := append([]byte(nil), '{')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
		b = append(b, ':')
		b = appendJSONString(b, strconv.Itoa(versions[i]))
	}
	m.versions = append(b, '}')
	return m
}

var errNotFinite = errors.New("amount is not a finite number")

// The JSON sources are written by hand rather than by a JSON encoder, as a full
// run encodes hundreds of thousands of touches and an encoder would first need
// three maps for each. Dates are epoch milliseconds, the precision Elasticsearch
// keeps: it parses a number several times faster than an RFC 3339 string.

func appendJSONField(b []byte, key, v string, omitEmpty bool) []byte {
	if omitEmpty && v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

func appendJSONDate(b []byte, key string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, t.UnixMilli(), 10)
}

// appendOpen appends the document's source up to its touches: the caller appends
// each with creditTouch.appendJSON, then closes the document with closeCreditDoc.
func (d *creditDoc) appendOpen(b []byte, m creditModels) ([]byte, error) {
	if !finite(d.OpportunityAmount) {
		return b, errNotFinite
	}
	b = append(b, `{"opportunity_id":`...)
	b = appendJSONString(b, d.OpportunityID)
	b = appendJSONField(b, "tenant", d.Tenant, false)
	b = appendJSONField(b, "settings_hash", d.SettingsHash, false)
	b = appendJSONField(b, "kind", d.Kind, false)
	b = appendJSONField(b, "currency", d.Currency, true)
	b = append(b, `,"opportunity_amount":`...)
	b = appendJSONFloat(b, d.OpportunityAmount)
	b = appendJSONDate(b, "opportunity_created_at", d.OppCreatedAt)
	if d.ClosedAt != nil {
		b = appendJSONDate(b, "closed_at", *d.ClosedAt)
	}
	b = appendJSONDate(b, "computed_at", d.ComputedAt)
	b = append(b, `,"model_versions":`...)
	b = append(b, m.versions...)
	return append(b, `,"touches":[`...), nil
}

func closeCreditDoc(b []byte) []byte { return append(b, ']', '}') }

// appendJSON appends the touch's JSON object (after a comma unless first): the
// shape reports, the warehouse export and the journey pages read (credit and
// fractions are objects keyed by model), with the document's currency, which
// aggregations inside the nested touches group by. A non-nil cache remembers each
// model's last amount and fraction as encoded.
func (t *creditTouch) appendJSON(b []byte, first bool, currency string, m creditModels, cache *floatCache) ([]byte, error) {
	if !first {
		b = append(b, ',')
	}
	b = append(b, `{"credit_id":`...)
	b = appendJSONString(b, t.CreditID)
	b = appendJSONField(b, "touchpoint_id", t.TouchpointID, false)
	b = appendJSONField(b, "person_id", t.PersonID, true)
	b = appendJSONField(b, "account_id", t.AccountID, true)
	b = appendJSONField(b, "currency", currency, true)
	b = appendJSONField(b, "channel", t.Channel, false)
	b = appendJSONField(b, "channel_rule", t.ChannelRule, true)
	b = appendJSONField(b, "campaign", t.Campaign, true)
	b = appendJSONField(b, "source", t.Source, true)
	b = appendJSONField(b, "medium", t.Medium, true)
	b = appendJSONField(b, "content", t.Content, true)
	b = appendJSONField(b, "landing_page", t.LandingPage, true)
	b = appendJSONDate(b, "touched_at", t.TouchedAt)
	for p, part := range []struct {
		key    string
		values []float64
	}{{"credit", t.Amounts}, {"fractions", t.Fractions}} {
		b = append(b, ',', '"')
		b = append(b, part.key...)
		b = append(b, '"', ':', '{')
		firstModel := true
		for i, v := range part.values {
			if t.Fractions[i] == 0 {
				continue
			}
			if !finite(v) {
				return b, errNotFinite
			}
			if !firstModel {
				b = append(b, ',')
			}
			firstModel = false
			b = appendJSONString(b, m.names[i])
			b = append(b, ':')
			b = cache.append(b, p*len(m.names)+i, v)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// floatCache holds the last value encoded in each slot (a model's amount or
// fraction) and its encoding: a journey's touches often share a share (linear,
// the middle of position-based models), and shortest float formatting is the
// dearest part of encoding a document.
type floatCache struct {
	bits []uint64
	enc  [][]byte
}

func newFloatCache(slots int) *floatCache {
	return &floatCache{bits: make([]uint64, slots), enc: make([][]byte, slots)}
}

func (fc *floatCache) append(b []byte, slot int, v float64) []byte {
	if fc == nil {
		return appendJSONFloat(b, v)
	}
	bits := math.Float64bits(v)
	if fc.enc[slot] != nil && fc.bits[slot] == bits {
		return append(b, fc.enc[slot]...)
	}
	start := len(b)
	b = appendJSONFloat(b, v)
	fc.bits[slot], fc.enc[slot] = bits, append(fc.enc[slot][:0], b[start:]...)
	return b
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendJSONFloat formats a finite float as encoding/json does: plain decimals
// between 1e-6 and 1e21, exponent notation outside.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
