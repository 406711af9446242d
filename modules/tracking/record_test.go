package tracking

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestSpoolRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)
	for _, r := range []spoolRecord{
		{TenantID: 7, Tenant: "acme", EventID: "abcdefghij0123456789", VisitorID: "v.1", At: at, Doc: json.RawMessage(`{"event_id":"abcdefghij0123456789"}`)},
		{TenantID: 1 << 40, Tenant: "t", EventID: "e", VisitorID: "v", At: at, Email: "ann@acme.example",
			Traits: map[string]any{"plan": "pro", "seats": 3.0}, Doc: json.RawMessage(`{"a":"ünï"}`)},
	} {
		b, err := r.encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
		}
	}
}

func TestDecodeRecordRejectsMalformed(t *testing.T) {
	good, _ := (&spoolRecord{TenantID: 1, Tenant: "acme", EventID: "e", VisitorID: "v", At: time.Unix(1, 0), Doc: json.RawMessage(`{}`)}).encode()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"other version": append([]byte{9}, good[1:]...),
		"truncated":     good[:6],
		"no document":   good[:len(good)-2],
		"json record":   []byte(`{"ti":1}`),
	} {
		if _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
