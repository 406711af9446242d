package tracking

import (
	"encoding/binary"
	"errors"
	"time"
)

// spoolRecord is one accepted collect request as written to the spool: the validated
// body as it came, and what enrichment needs from the request itself. Enrichment and
// encoding into touchpoints happen in the ingester, off the request path.
type spoolRecord struct {
	TenantID int64
	Tenant   string
	SiteKey  string
	Received time.Time
	IP       string // as stored: anonymised when configured
	Country  string
	UA       string
	Body     []byte
}

// recordVersion starts every encoded record, so the format can change.
const recordVersion = 2

var errBadRecord = errors.New("tracking: malformed spool record")

// encode writes the record compactly: a version byte, the tenant id and time as
// varints, length-prefixed strings, and the body last.
func (r *spoolRecord) encode() []byte {
	return r.appendTo(make([]byte, 0, 32+len(r.Tenant)+len(r.SiteKey)+len(r.IP)+len(r.Country)+len(r.UA)+len(r.Body)))
}

// appendTo appends the encoded record to out.
func (r *spoolRecord) appendTo(out []byte) []byte {
	out = append(out, recordVersion)
	out = binary.AppendVarint(out, r.TenantID)
	out = binary.AppendVarint(out, r.Received.UnixMicro())
	for _, s := range [...]string{r.Tenant, r.SiteKey, r.IP, r.Country, r.UA} {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, r.Body...)
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
	r.Received = time.UnixMicro(micros).UTC()
	b = b[n:]
	for _, dst := range []*string{&r.Tenant, &r.SiteKey, &r.IP, &r.Country, &r.UA} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return r, errBadRecord
		}
		*dst = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	if len(b) == 0 || b[0] != '{' {
		return r, errBadRecord
	}
	r.Body = b
	return r, nil
}
