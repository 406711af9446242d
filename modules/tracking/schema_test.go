package tracking

import (
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/errs"
)

const validEvent = `{"id":"abcdefghij0123456789","type":"pageview","ts":1732280000000,"vid":"v.visitor1","sid":"s.session1","url":"https://acme.example/"}`

func TestDecodeBatchFields(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		field string // "" means valid
	}{
		{"valid", `{"v":1,"site":"s","events":[` + validEvent + `]}`, ""},
		{"missing site", `{"v":1,"events":[` + validEvent + `]}`, "site"},
		{"missing version", `{"site":"s","events":[` + validEvent + `]}`, "v"},
		{"events not a list", `{"v":1,"site":"s","events":{}}`, "events"},
		{"site not a string", `{"v":1,"site":5,"events":[]}`, "site"},
		{"short id", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, "abcdefghij0123456789", "abc", 1) + `]}`, "events[0].id"},
		{"zero ts", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, "1732280000000", "0", 1) + `]}`, "events[0].ts"},
		{"bad vid", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, "v.visitor1", "v visitor", 1) + `]}`, "events[0].vid"},
		{"bad sid", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, "s.session1", "s", 1) + `]}`, "events[0].sid"},
		{"javascript url", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, "https://acme.example/", "javascript:alert(1)", 1) + `]}`, "events[0].url"},
		{"long url", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, "https://acme.example/", "https://acme.example/"+strings.Repeat("a", 2100), 1) + `]}`, "events[0].url"},
		{"event not an object", `{"v":1,"site":"s","events":[42]}`, "events[0]"},
		{"screen out of range", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, `"url"`, `"sw":-1,"url"`, 1) + `]}`, "events[0].sw"},
		{"too many fields", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, `"url"`, `"fields":{`+manyFields(21)+`},"url"`, 1) + `]}`, "events[0].fields"},
		{"too many props", `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, `"url"`, `"props":{`+manyFields(51)+`},"url"`, 1) + `]}`, "events[0].props"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeBatch([]byte(tt.body))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid batch rejected: %v", err)
				}
				return
			}
			if errs.KindOf(err) != errs.KindInvalid || errs.FieldOf(err) != tt.field {
				t.Fatalf("got %v (field %q), want invalid %q", err, errs.FieldOf(err), tt.field)
			}
		})
	}
}

func TestLongValuesAreTruncated(t *testing.T) {
	long := strings.Repeat("ü", 400) // 800 bytes
	body := `{"v":1,"site":"s","events":[` + strings.Replace(validEvent, `"url"`, `"fields":{"company":"`+long+`"},"props":{"note":"`+long+`"},"url"`, 1) + `]}`
	_, events, err := DecodeBatch([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if f := events[0].Fields["company"]; len(f) > maxFieldValue || !strings.HasPrefix(long, f) {
		t.Errorf("field kept %d bytes", len(f))
	}
	if p := events[0].Props["note"].(string); len(p) > maxPropValue || !strings.HasPrefix(long, p) {
		t.Errorf("prop kept %d bytes", len(p))
	}
}

func manyFields(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"f` + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":"v"`
	}
	return strings.Join(parts, ",")
}

func TestLongTitleIsTruncatedOnARuneBoundary(t *testing.T) {
	title := strings.Repeat("é", 300) // 600 bytes
	_, events, err := DecodeBatch([]byte(`{"v":1,"site":"s","events":[` + strings.Replace(validEvent, `"url"`, `"title":"`+title+`","url"`, 1) + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := events[0].Title; len(got) > maxTitle || !strings.HasPrefix(title, got) || strings.ToValidUTF8(got, "?") != got {
		t.Fatalf("title truncated badly to %d bytes", len(got))
	}
}

// FuzzDecodeBatch checks that no input panics the decoder and that whatever it accepts
// satisfies the schema. The seed corpus runs in every `go test`.
func FuzzDecodeBatch(f *testing.F) {
	seeds := []string{
		`{"v":1,"site":"demo-site","events":[` + validEvent + `]}`,
		`{"v":1,"site":"demo-site","events":[{"id":"abcdefghij0123456789","type":"identify","ts":1,"vid":"visitor-1","sid":"session-1","email":"a@b.example","props":{"plan":"pro","seats":3,"trial":true,"x":null}}]}`,
		`{"v":1,"site":"demo-site","events":[{"id":"abcdefghij0123456789","type":"form","ts":1,"vid":"visitor-1","sid":"session-1","url":"http://localhost/","form":{"id":"f","name":"n","action":"/a"},"fields":{"company":"Acme"},"email":"a@b.example"}]}`,
		`{"v":1,"site":"demo-site","events":[{"id":"abcdefghij0123456789","type":"download","ts":1,"vid":"visitor-1","sid":"session-1","url":"http://localhost/","link":"http://localhost/a.pdf"}]}`,
		`{"v":1,"site":"demo-site","events":[{"id":"abcdefghij0123456789","type":"track","ts":1,"vid":"visitor-1","sid":"session-1","name":"signup"}]}`,
		`{"v":1,"site":"","events":[]}`, `{`, `[]`, `null`, `{"v":1e309}`, `{"v":1,"site":"s","events":[{"props":{"a":[1]}}]}`,
		"{\"v\":1,\"site\":\"s\\u0000\",\"events\":[]}", `{"v":1,"site":"s","events":[` + validEvent + `]} trailing`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		site, events, err := DecodeBatch(body)
		if err != nil {
			if errs.KindOf(err) != errs.KindInvalid {
				t.Fatalf("decode error of kind %s: %v", errs.KindOf(err), err)
			}
			return
		}
		// The fast decoder must accept nothing the standard library's would refuse.
		slowSite, slowEvents, slowErr := decodeBatchSlowly(body)
		if slowErr != nil || slowSite != site || len(slowEvents) != len(events) {
			t.Fatalf("fast path accepted what the standard decoder refuses: %v", slowErr)
		}
		if site == "" || len(events) == 0 || len(events) > MaxEvents {
			t.Fatalf("accepted a batch outside the schema: site %q, %d events", site, len(events))
		}
		for i := range events {
			if field, msg := events[i].validate(); field != "" {
				t.Fatalf("accepted event %d fails validation: %s %s", i, field, msg)
			}
			if len(events[i].Title) > maxTitle {
				t.Fatalf("title of %d bytes accepted", len(events[i].Title))
			}
		}
	})
}
