package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/salesforce/salesforcefake"
)

// revokingRun revokes the grant after the first commit, as an admin removing the
// connected app during a sync.
type revokingRun struct {
	*memRun
	fake *salesforcefake.Server
}

func (r *revokingRun) Commit(ctx context.Context, stream, cursor string, p connector.Page) error {
	if err := r.memRun.Commit(ctx, stream, cursor, p); err != nil {
		return err
	}
	r.fake.RevokeRefreshToken()
	return nil
}

func TestPullRevokedDuringRun(t *testing.T) {
	fake := salesforcefake.New(salesforcefake.Options{})
	defer fake.Close()
	fake.Seed(10, 2, 2)
	c, _ := newConnector(t, fake, nil)
	run := &revokingRun{memRun: newMemRun(), fake: fake}
	err := c.Pull(context.Background(), run)
	if !errors.Is(err, connector.ErrReauth) {
		t.Fatalf("Pull = %v, want ErrReauth", err)
	}
	if len(run.commits) != 1 || run.cursors[stagesStream] == "" {
		t.Errorf("commits = %+v, want the one before the revocation kept", run.commits)
	}
}

func TestTokenRefused(t *testing.T) {
	tests := []struct {
		name  string
		creds Credentials
		want  string
	}{
		{"wrong secret", Credentials{"fake-client-id", "nope", "fake-refresh-token"}, "invalid_client"},
		{"wrong client", Credentials{"other", "fake-client-secret", "fake-refresh-token"}, "invalid_client_id"},
		{"unknown refresh token", Credentials{"fake-client-id", "fake-client-secret", "nope"}, "invalid_grant"},
	}
	fake := salesforcefake.New(salesforcefake.Options{})
	defer fake.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, _ := json.Marshal(tt.creds)
			c, err := New(connector.Config{Credentials: creds, Settings: fake.Settings()})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Pull(context.Background(), newMemRun())
			if !errors.Is(err, connector.ErrReauth) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Pull = %v, want ErrReauth saying %s", err, tt.want)
			}
			if _, err := c.Write(context.Background(), []connector.Touchpoint{{ID: "e1"}}); !errors.Is(err, connector.ErrReauth) {
				t.Errorf("Write = %v, want ErrReauth", err)
			}
		})
	}
}

// instance_url in the settings wins over the token response's.
func TestInstanceURLOverride(t *testing.T) {
	login := salesforcefake.New(salesforcefake.Options{})
	defer login.Close()
	other := salesforcefake.New(salesforcefake.Options{})
	defer other.Close()
	c, _ := newConnector(t, login, map[string]any{"instance_url": other.URL() + "/"})
	err := c.Pull(context.Background(), newMemRun())
	// The other org does not know the login org's sessions: it is asked, refuses
	// twice, and the connector gives up with re-authorisation.
	if !errors.Is(err, connector.ErrReauth) {
		t.Fatalf("Pull = %v, want ErrReauth", err)
	}
	if other.Requests() != 2 || login.Requests() != 0 {
		t.Errorf("requests: override %d, token host %d; want 2 and 0", other.Requests(), login.Requests())
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    Settings
		wantErr []string
	}{
		{
			name: "defaults",
			raw:  `{}`,
			want: Settings{LoginURL: DefaultLoginURL, APIVersion: DefaultAPIVersion, TouchpointObject: DefaultTouchpointObject, TouchpointExternalID: DefaultTouchpointExternalID},
		},
		{
			name: "empty",
			raw:  ``,
			want: Settings{LoginURL: DefaultLoginURL, APIVersion: DefaultAPIVersion, TouchpointObject: DefaultTouchpointObject, TouchpointExternalID: DefaultTouchpointExternalID},
		},
		{
			name: "all set",
			raw:  `{"login_url":"https://test.salesforce.com/","api_version":"v61.0","instance_url":"https://acme.my.salesforce.com","touchpoint_object":"Touch__c","touchpoint_external_id":"Ext__c"}`,
			want: Settings{LoginURL: "https://test.salesforce.com", APIVersion: "v61.0", InstanceURL: "https://acme.my.salesforce.com", TouchpointObject: "Touch__c", TouchpointExternalID: "Ext__c"},
		},
		{
			name:    "every bad key is named",
			raw:     `{"login_url":"login.salesforce.com","api_version":"59","instance_url":"ftp://x","touchpoint_object":"Touch","touchpoint_external_id":"a b__c"}`,
			wantErr: []string{"login_url", "api_version", "instance_url", "touchpoint_object", "touchpoint_external_id"},
		},
		{
			name:    "unknown key",
			raw:     `{"loginurl":"https://login.salesforce.com"}`,
			wantErr: []string{`unknown field "loginurl"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings(json.RawMessage(tt.raw))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one naming %v", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string
	}{
		{`{"client_id":"a","client_secret":"b","refresh_token":"c"}`, ""},
		{`{"client_id":"a"}`, "missing client_secret, refresh_token"},
		{`[]`, "credentials"},
	}
	for _, tt := range tests {
		_, err := ParseCredentials(json.RawMessage(tt.raw))
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ParseCredentials(%s) = %v, want %q", tt.raw, err, tt.wantErr)
		}
	}
}

func TestDomain(t *testing.T) {
	tests := map[string]string{
		"https://www.Acme.com/about": "acme.com",
		"acme.com":                   "acme.com",
		"WWW.acme.co.uk":             "acme.co.uk",
		"http://shop.acme.com:8080":  "shop.acme.com",
		"":                           "",
		"  ":                         "",
		"http://[bad":                "",
	}
	for in, want := range tests {
		if got := domain(in); got != want {
			t.Errorf("domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPace(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"api-usage=10/5000", 0},
		{"api-usage=4499/5000", 0},
		{"api-usage=4500/5000", paceMin},
		{"api-usage=4750/5000", 5 * time.Second},
		{"per-app-api-usage=1/10(appName=x), api-usage=5000/5000", paceMax},
		{"api-usage=9000/5000", paceMax},
		{"api-usage=x/5000", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("Sforce-Limit-Info", tt.header)
		if got := pace(h); got != tt.want {
			t.Errorf("pace(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
