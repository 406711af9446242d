package app_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal"
	"github.com/srgplatform/srg/modules/portal/reports/reportstest"
	"github.com/srgplatform/srg/modules/tracking/trackertest"
	"github.com/srgplatform/srg/static"
)

// TestDashboardChartsEndToEnd opens the dashboard in headless Chromium, as a signed-
// in user under an authorizer that allows everything, and checks that htmx loaded
// the report and ECharts drew every chart on a canvas that is not blank.
func TestDashboardChartsEndToEnd(t *testing.T) {
	env := reportstest.New(t)
	e := apptest.Echo(t)
	e.Use(apptest.AsUser(reportstest.UserID, "ann@acme.example"))
	assets, err := web.NewAssets(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	dir := reportstest.Directory{DB: env.DB}
	m := portal.New(portal.Deps{Version: "test", DB: env.DB, Search: env.ES, Campaigns: env.Matcher, Models: reportstest.Models{},
		Directory: dir, Layout: web.NewLayout(dir, apptest.AllowAll{}), Log: apptest.Logger(t)})
	router := web.NewRouter(e, apptest.AllowAll{}, apptest.TenantsIn(env.DB))
	router.Mount(assets.Routes()...)
	router.Mount(m.Routes()...)
	srv := httptest.NewServer(e)
	defer srv.Close()

	b := trackertest.NewBrowser(t)
	b.Navigate(srv.URL + "/t/acme/dashboard?from=2024-03-01&to=2024-04-30&compare=linear&compare=first_touch")
	b.WaitLoaded()

	got := waitForCharts(t, b)
	if !strings.Contains(got.Text, "1,400.00") {
		t.Errorf("the report's totals are missing: %q", got.Text)
	}
}

// drawnCharts is what the dashboard's report shows: its charts, each canvas with the
// share of its pixels that are painted, and the report's text.
type drawnCharts struct {
	Charts int
	Drawn  []struct {
		W, H    int
		Painted float64
	}
	Text string
}

// waitForCharts waits until htmx loaded the dashboard's report and ECharts drew a
// canvas in each of its charts, then checks there are five charts (pipeline, revenue,
// trend, conversions and the model comparison) and none is blank.
func waitForCharts(t *testing.T, b *trackertest.Browser) drawnCharts {
	t.Helper()
	const probe = `JSON.stringify({
		charts: document.querySelectorAll('.chart').length,
		drawn: [...document.querySelectorAll('.chart canvas')].map(c => {
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let painted = 0;
			for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
			return {w: c.width, h: c.height, painted: painted / (c.width * c.height)};
		}),
		text: (document.querySelector('#report-body') || {}).innerText || ''
	})`
	var got drawnCharts
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := json.Unmarshal([]byte(b.EvalString(probe)), &got); err != nil {
			t.Fatal(err)
		}
		if got.Charts > 0 && len(got.Drawn) == got.Charts {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the report never drew its charts: %+v", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got.Charts != 5 {
		t.Errorf("%d charts, want pipeline, revenue, trend, conversions and the model comparison", got.Charts)
	}
	for i, c := range got.Drawn {
		// Axes, labels and bars cover a few percent of a chart at least; a blank
		// canvas has nothing painted.
		if c.W < 200 || c.H < 200 || c.Painted < 0.01 {
			t.Errorf("chart %d is blank or tiny: %+v", i, c)
		}
	}
	return got
}
