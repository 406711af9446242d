package tracking

import (
	"reflect"
	"testing"
	"time"
)

func TestSpoolRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)
	for _, r := range []spoolRecord{
		{TenantID: 7, Tenant: "acme", SiteKey: "acme-site", Received: at, IP: "203.0.113.0", Country: "DE", UA: "Mozilla/5.0", Body: []byte(`{"v":1}`)},
		{TenantID: 1 << 40, Tenant: "t", SiteKey: "s", Received: at, Body: []byte(`{"a":"ünï"}`)},
	} {
		got, err := decodeRecord(r.encode())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
		}
	}
}

func TestDecodeRecordRejectsMalformed(t *testing.T) {
	good := (&spoolRecord{TenantID: 1, Tenant: "acme", SiteKey: "k", Received: time.Unix(1, 0), Body: []byte(`{}`)}).encode()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"other version": append([]byte{1}, good[1:]...),
		"truncated":     good[:6],
		"no body":       good[:len(good)-2],
		"json record":   []byte(`{"ti":1}`),
	} {
		if _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
