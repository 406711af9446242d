package tracking

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"
)

// spoolRecord is one accepted event as written to the spool: the touchpoint document
// to index, as JSON, plus what identity needs and the index must not hold (the email
// and traits).
type spoolRecord struct {
	TenantID  int64
	Tenant    string
	EventID   string
	VisitorID string
	At        time.Time
	Email     string
	Traits    map[string]any
	Doc       json.RawMessage
}

// recordVersion starts every encoded record, so the format can change.
const recordVersion = 1

var errBadRecord = errors.New("tracking: malformed spool record")

// encode writes the record in a compact binary form: a version byte, the tenant id
// and time as varints, then length-prefixed strings, the traits as JSON, and the
// document last, so the ingester reads the fields it needs without parsing the
// document.
func (r *spoolRecord) encode() ([]byte, error) {
	var traits []byte
	if len(r.Traits) > 0 {
		var err error
		if traits, err = json.Marshal(r.Traits); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, 64+len(r.Tenant)+len(r.EventID)+len(r.VisitorID)+len(r.Email)+len(traits)+len(r.Doc))
	out = append(out, recordVersion)
	out = binary.AppendVarint(out, r.TenantID)
	out = binary.AppendVarint(out, r.At.UnixMicro())
	for _, s := range []string{r.Tenant, r.EventID, r.VisitorID, r.Email} {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	out = binary.AppendUvarint(out, uint64(len(traits)))
	out = append(out, traits...)
	return append(out, r.Doc...), nil
}

func decodeRecord(b []byte) (spoolRecord, error) {
	var r spoolRecord
	if len(b) == 0 || b[0] != recordVersion {
		return r, errBadRecord
	}
	b = b[1:]
	var n int
	if r.TenantID, n = binary.Varint(b); n <= 0 {
		return r, errBadRecord
	}
	b = b[n:]
	micros, n := binary.Varint(b)
	if n <= 0 {
		return r, errBadRecord
	}
	r.At = time.UnixMicro(micros).UTC()
	b = b[n:]
	next := func() ([]byte, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, false
		}
		v := b[n : n+int(l)]
		b = b[n+int(l):]
		return v, true
	}
	for _, dst := range []*string{&r.Tenant, &r.EventID, &r.VisitorID, &r.Email} {
		v, ok := next()
		if !ok {
			return r, errBadRecord
		}
		*dst = string(v)
	}
	traits, ok := next()
	if !ok {
		return r, errBadRecord
	}
	if len(traits) > 0 {
		if err := json.Unmarshal(traits, &r.Traits); err != nil {
			return r, errBadRecord
		}
	}
	if len(b) == 0 || b[0] != '{' {
		return r, errBadRecord
	}
	r.Doc = b
	return r, nil
}
