package attribution

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// credit is one credit document: what every model gave one touchpoint of one
// opportunity. One document per (opportunity, touchpoint) rather than per model keeps
// the index a model-count times smaller; reports sum credit.<model>.
type credit struct {
	CreditID          string
	Tenant            string
	SettingsHash      string
	OpportunityID     string
	TouchpointID      string
	PersonID          string
	AccountID         string
	Kind              string
	Currency          string
	OpportunityAmount float64
	Channel           string
	ChannelRule       string
	Campaign          string
	Source            string
	Medium            string
	Content           string
	LandingPage       string
	TouchedAt         time.Time
	OppCreatedAt      time.Time
	ClosedAt          *time.Time
	ComputedAt        time.Time
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

// appendJSON appends the credit document's JSON source: the shape reports, the
// warehouse export and the journey pages read (credit, fractions and
// model_versions are objects keyed by model). Written by hand rather than by a
// JSON encoder, as a full run encodes hundreds of thousands of them and an encoder
// would first need three maps per document.
// A non-nil cache remembers each model's last amount and fraction as encoded.
func (c *credit) appendJSON(b []byte, m creditModels, cache *floatCache) ([]byte, error) {
	str := func(key, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		b = appendJSONString(b, v)
	}
	// Dates are epoch milliseconds, the precision Elasticsearch keeps: it parses a
	// number several times faster than an RFC 3339 string, which made the dates
	// about a sixth of the credits' indexing time.
	date := func(key string, t time.Time) {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		b = strconv.AppendInt(b, t.UnixMilli(), 10)
	}
	if !finite(c.OpportunityAmount) {
		return b, errNotFinite
	}
	b = append(b, `{"credit_id":`...)
	b = appendJSONString(b, c.CreditID)
	str("tenant", c.Tenant, false)
	str("settings_hash", c.SettingsHash, false)
	str("opportunity_id", c.OpportunityID, false)
	str("touchpoint_id", c.TouchpointID, false)
	str("person_id", c.PersonID, true)
	str("account_id", c.AccountID, true)
	str("kind", c.Kind, false)
	str("currency", c.Currency, true)
	b = append(b, `,"opportunity_amount":`...)
	b = appendJSONFloat(b, c.OpportunityAmount)
	str("channel", c.Channel, false)
	str("channel_rule", c.ChannelRule, true)
	str("campaign", c.Campaign, true)
	str("source", c.Source, true)
	str("medium", c.Medium, true)
	str("content", c.Content, true)
	str("landing_page", c.LandingPage, true)
	date("touched_at", c.TouchedAt)
	date("opportunity_created_at", c.OppCreatedAt)
	if c.ClosedAt != nil {
		date("closed_at", *c.ClosedAt)
	}
	date("computed_at", c.ComputedAt)
	for p, part := range []struct {
		key    string
		values []float64
	}{{"credit", c.Amounts}, {"fractions", c.Fractions}} {
		b = append(b, ',', '"')
		b = append(b, part.key...)
		b = append(b, '"', ':', '{')
		first := true
		for i, v := range part.values {
			if c.Fractions[i] == 0 {
				continue
			}
			if !finite(v) {
				return b, errNotFinite
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, m.names[i])
			b = append(b, ':')
			b = cache.append(b, p*len(m.names)+i, v)
		}
		b = append(b, '}')
	}
	b = append(b, `,"model_versions":`...)
	b = append(b, m.versions...)
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
