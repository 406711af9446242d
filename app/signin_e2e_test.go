package app_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/srgplatform/srg/modules/portal/reports/reportstest"
	"github.com/srgplatform/srg/modules/tracking/trackertest"
)

// TestSignInEndToEnd drives the real platform in headless Chromium as people do: sign
// in with a password and the code texted through the fake Twilio, see the dashboard's
// charts drawn, sign out; and, as a viewer, be refused a settings page. Every page
// keeps to the Content-Security-Policy.
func TestSignInEndToEnd(t *testing.T) {
	const password = "a long enough e2e password"
	type person struct{ email, phone, role string }
	marketer := person{"mia@acme.example", "+15555550121", "marketer"}
	viewer := person{"vic@acme.example", "+15555550122", "viewer"}

	cfg, fake := authConfig(t)
	cfg.Tenants = nil
	reportstest.NewIn(t, cfg)
	for _, u := range []person{marketer, viewer} {
		env := append(cliEnviron(t, cfg, "tenants: []\n"), "SRG_USER_PASSWORD="+password)
		code, stdout, stderr := runCLI(env, "user", "add", "--email", u.email, "--name", u.role, "--phone", u.phone, "--tenant", "acme", "--role", u.role)
		if code != 0 {
			t.Fatalf("srg user add %s: exit %d\n%s%s", u.email, code, stdout, stderr)
		}
	}
	srv := httptest.NewServer(build(t, cfg).Echo)
	defer srv.Close()
	b := trackertest.NewBrowser(t)

	settingsLinks := func() string {
		return b.EvalString(`String(document.querySelectorAll('nav.sidenav a[href*="/settings/"]').length)`)
	}
	signIn := func(t *testing.T, u person) {
		t.Helper()
		b.Navigate(srv.URL + "/")
		if loc := b.Location(); loc != srv.URL+"/login" {
			t.Fatalf("/ before signing in led to %s, want the sign-in page", loc)
		}
		b.Fill("#email", u.email)
		b.Fill("#password", password)
		b.Submit("#password")
		b.WaitFor("input#code")
		code, ok := fake.LastCode(u.phone)
		if !ok {
			t.Fatalf("no code texted to %s", u.phone)
		}
		b.Fill("#code", code)
		b.Submit("#code")
		b.WaitFor(`body[data-section="dashboard"]`)
		if loc := b.Location(); loc != srv.URL+"/t/acme/dashboard" {
			t.Fatalf("signed in at %s, want acme's dashboard", loc)
		}
	}

	t.Run("marketer", func(t *testing.T) {
		signIn(t, marketer)
		if n := settingsLinks(); n == "0" {
			t.Error("a marketer's navigation has no settings")
		}
		// The fixture's credits are in March and April 2024, under linear and first touch.
		b.Navigate(srv.URL + "/t/acme/dashboard?from=2024-03-01&to=2024-04-30&model=linear&compare=linear&compare=first_touch")
		waitForCharts(t, b)
		expectPainted(t, b.Screenshot())

		b.Click(".logout button")
		b.WaitFor("input#password")
		if loc := b.Location(); loc != srv.URL+"/login" {
			t.Errorf("signed out to %s, want the sign-in page", loc)
		}
		if c := b.Cookie("srg_session"); c != nil {
			t.Errorf("the session cookie outlived signing out: %+v", c)
		}
		b.Navigate(srv.URL + "/t/acme/dashboard")
		if loc := b.Location(); loc != srv.URL+"/login?next=%2Ft%2Facme%2Fdashboard" {
			t.Errorf("the dashboard after signing out led to %s, want the sign-in page", loc)
		}
	})

	t.Run("viewer", func(t *testing.T) {
		signIn(t, viewer)
		if n := settingsLinks(); n != "0" {
			t.Errorf("a viewer's navigation shows %s settings pages", n)
		}
		if status := b.NavigateStatus(srv.URL + "/t/acme/settings/tracking"); status != http.StatusForbidden {
			t.Errorf("a viewer opened the tracking settings: %d", status)
		}
		if text := b.EvalString(`document.querySelector('main h1').innerText`); !strings.Contains(text, "403") {
			t.Errorf("the refusal page says %q", text)
		}
	})

	if p := b.Problems(); len(p) > 0 {
		t.Errorf("pages broke or violated their Content-Security-Policy: %v", p)
	}
	// The check above sees violations: an inline script is one.
	b.Eval(`document.body.appendChild(Object.assign(document.createElement('script'), {textContent: 'window.inlineRan = 1'}))`)
	waitFor(t, "the inline script's CSP violation", func() bool { return len(b.Problems()) > 0 })
	if ran := b.EvalString(`String(window.inlineRan)`); ran != "undefined" {
		t.Errorf("an inline script ran despite the CSP: %s", ran)
	}
}

// expectPainted fails the test if the screenshot is blank: at least a tenth of its
// pixels must differ from its background colour (the commonest one), in many colours.
func expectPainted(t *testing.T, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	counts := map[[4]uint32]int{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			counts[rgba(img, x, y)]++
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	total := r.Dx() * r.Dy()
	if r.Dx() < 640 || r.Dy() < 400 || float64(total-most)/float64(total) < 0.1 || len(counts) < 100 {
		t.Errorf("the screenshot looks blank: %dx%d, %d colours, %.1f%% off the background",
			r.Dx(), r.Dy(), len(counts), 100*float64(total-most)/float64(total))
	}
}

func rgba(img image.Image, x, y int) [4]uint32 {
	r, g, b, a := img.At(x, y).RGBA()
	return [4]uint32{r, g, b, a}
}
