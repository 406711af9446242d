package apiclient

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/srgplatform/srg/modules/sync/connector"
)

func TestOAuth2RefusalNamesTheReason(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string
	}{
		{name: "RFC 6749 error", body: `{"error":"invalid_grant","error_description":"expired refresh token"}`,
			want: "invalid_grant: expired refresh token"},
		{name: "provider's own shape", body: `{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token"}`,
			want: `HTTP 400: {"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token"}`},
		{name: "empty body", body: "", want: "HTTP 400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			o := NewOAuth2(&oauth2.Config{ClientID: "id", ClientSecret: "secret",
				Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInParams}}, "refresh", srv.Client())
			err := o.Refresh(t.Context())
			if !errors.Is(err, connector.ErrReauth) {
				t.Fatalf("Refresh error = %v, want ErrReauth", err)
			}
			if !strings.HasSuffix(err.Error(), "token refresh refused: "+tc.want) {
				t.Errorf("Refresh error = %q, want it to end with %q", err, tc.want)
			}
		})
	}
}
