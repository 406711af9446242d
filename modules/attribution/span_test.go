package attribution

import (
	"maps"
	"slices"
	"testing"
	"time"
)

// A full run scans touchpoints from bounds it knows before the opportunities are
// loaded, then keeps only the span their journeys and the learning need.
func TestEveryoneSpanTrimsTheWidenedScan(t *testing.T) {
	day := func(d string) time.Time {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			panic(err)
		}
		return t
	}
	lookback := 10 * 24 * time.Hour
	at := day("2026-06-30")
	closed := day("2026-05-31")
	opps := []*opportunity{
		{ID: "open", CreatedAt: day("2026-06-01"), People: []string{"ann"}},
		{ID: "won", CreatedAt: day("2026-05-01"), IsClosed: true, IsWon: true, CloseDate: &closed, People: []string{"bob"}},
		{ID: "lead:9", Lead: true, CreatedAt: day("2026-04-15"), People: []string{"cy"}},
		// Deleted and unlinked opportunities span nothing.
		{ID: "gone", CreatedAt: day("2020-01-01"), Deleted: true, People: []string{"ann"}},
		{ID: "nobody", CreatedAt: day("2021-01-01")},
	}
	from, to := everyoneSpan(opps, lookback, at)
	if want := day("2026-04-05"); !from.Equal(want) || !to.Equal(at) {
		t.Fatalf("span [%v, %v), want [%v, %v)", from, to, want, at)
	}
	cases := []struct {
		name    string
		touches map[string][]string // person → touch days
		want    map[string][]string
	}{
		{"inside", map[string][]string{"ann": {"2026-06-01", "2026-04-05"}}, map[string][]string{"ann": {"2026-06-01", "2026-04-05"}}},
		{"before the span", map[string][]string{"ann": {"2026-04-04", "2026-06-02"}, "bob": {"2025-01-01"}}, map[string][]string{"ann": {"2026-06-02"}}},
		{"at its end: excluded", map[string][]string{"cy": {"2026-06-30", "2026-06-29"}}, map[string][]string{"cy": {"2026-06-29"}}},
		{"nothing left", map[string][]string{"dee": {"2030-01-01"}}, map[string][]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			byPerson := map[string][]*touch{}
			for p, days := range c.touches {
				for _, d := range days {
					byPerson[p] = append(byPerson[p], &touch{EventID: d, OccurredAt: day(d)})
				}
			}
			trimToSpan(byPerson, from, to)
			got := map[string][]string{}
			for p, ts := range byPerson {
				for _, t := range ts {
					got[p] = append(got[p], t.EventID)
				}
			}
			if !maps.EqualFunc(got, c.want, slices.Equal) {
				t.Fatalf("kept %v, want %v", got, c.want)
			}
		})
	}
}
