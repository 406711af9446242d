package tracking_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkCollect measures the collect handler's cost per single-event request, in
// process (no network), spool fsyncs included.
func BenchmarkCollect(b *testing.B) {
	e := newEnv(b, nil)
	handler := e.srv.Config.Handler
	ua := "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			body := fmt.Sprintf(`{"v":1,"site":"acme-site","events":[{"id":"bench%015d%d","type":"pageview","ts":%d,"vid":"visitor-1","sid":"session-1","url":"https://acme.example/pricing?utm_source=google&utm_medium=cpc","ref":"https://www.google.com/","title":"Pricing","sw":1440,"sh":900,"lang":"en-GB","tz":"Europe/London"}]}`, i, time.Now().UnixNano()%1000, time.Now().UnixMilli())
			req := httptest.NewRequest(http.MethodPost, "/t/collect", strings.NewReader(body))
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set("Origin", "https://acme.example")
			req.Header.Set("User-Agent", ua)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != 204 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
		}
	})
}
