package tracking

import (
	"fmt"
	"strings"
	"testing"
)

func batchBody(n int) []byte {
	var evs []string
	for i := 0; i < n; i++ {
		evs = append(evs, fmt.Sprintf(`{"id":"bench%015d%d","type":"pageview","ts":1763870000000,"vid":"visitor-1","sid":"session-1","url":"https://acme.example/pricing?utm_source=google&utm_medium=cpc","ref":"https://www.google.com/","title":"Pricing","sw":1440,"sh":900,"lang":"en-GB","tz":"Europe/London"}`, i, i%1000))
	}
	return []byte(`{"v":1,"site":"acme-site","events":[` + strings.Join(evs, ",") + `]}`)
}

func BenchmarkCheckBatch10(b *testing.B) {
	body := batchBody(10)
	var tb typedBatch
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, n, err := checkBatch(body, &tb); err != nil || n != 10 {
			b.Fatal(err)
		}
	}
}

func TestFastPathRefusesWhatTheSlowPathRefuses(t *testing.T) {
	var tb typedBatch
	for _, body := range []string{
		`{"v":1,"site":"s","events":[{"id":"e1","type":"pageview","ts":1763870000000,"vid":"v","sid":"s","url":"https://a.example/","zz":1}]}`,
		`{"v":1,"site":"s","events":[{"id":"e1","type":"pageview","ts":1763870000000,"vid":"v","sid":"s","url":"https://a.example/"}],"extra":true}`,
		`{"v":1,"site":"s","events":[{"id":"e1","type":"pageview","ts":1763870000000,"vid":"v","sid":"s","url":"https://a.example/"}]} {}`,
		`{"v":1,"site":"s","events":[{"id":"e1","type":"pageview","ts":1763870000000,"vid":"v","sid":"s","url":"https://a.example/"}]}x`,
	} {
		if decodeValid([]byte(body), &tb) {
			t.Errorf("fast path accepted %s", body)
		}
	}
	if !decodeValid(batchBody(3), &tb) || len(tb.Events) != 3 {
		t.Errorf("fast path refused a valid batch")
	}
}
