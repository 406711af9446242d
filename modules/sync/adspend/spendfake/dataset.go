// Package spendfake holds what the ad-platform fakes share: a deterministic data
// set of campaign-days that can change between syncs the way platforms change
// (restated days, new campaigns, renames, new days), a queue of injected faults, and
// an OAuth token endpoint. Each platform's fake renders the data in its own shapes.
package spendfake

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
)

// BigMicros is the spend given to the first row of a data set made with Big: above
// 2^53, so any float64 on the way turns it into a different amount.
const BigMicros = 9_007_199_254_740_993

// Options shape a generated data set.
type Options struct {
	Seed      uint64
	Campaigns int
	// From and To are the first and last day with data (midnight UTC).
	From, To time.Time
	// IDBase numbers the campaigns IDBase+1, IDBase+2, …
	IDBase int64
	// Big gives the first campaign's first day BigMicros of spend.
	Big bool
}

// Campaign is a campaign of the data set; it has data from its start day on.
type Campaign struct {
	ID    string
	Name  string
	Start time.Time
}

// Row is one campaign's spend on one day; Micros are millionths of the currency.
type Row struct {
	CampaignID  string
	Day         time.Time
	Micros      int64
	Clicks      int64
	Impressions int64
}

// Dataset is one ad account's campaigns and their daily spend. Values are a hash of
// (seed, campaign, day, restatement count), so the same options give the same data
// and a restated day changes. It is safe for concurrent use.
type Dataset struct {
	mu        sync.Mutex
	opt       Options
	campaigns []Campaign
	to        time.Time
	restated  map[time.Time]int
}

// Generate makes a data set.
func Generate(opt Options) *Dataset {
	d := &Dataset{opt: opt, to: opt.To, restated: map[time.Time]int{}}
	for i := range opt.Campaigns {
		// A few campaigns start later, as real accounts add them.
		start := opt.From
		if i%5 == 4 {
			start = opt.From.AddDate(0, 0, int(hash(opt.Seed, uint64(i), 7)%10))
		}
		d.campaigns = append(d.campaigns, Campaign{
			ID:    strconv.FormatInt(opt.IDBase+int64(i)+1, 10),
			Name:  fmt.Sprintf("Campaign %d — %s", i+1, []string{"Search", "Brand", "Retargeting", "Prospecting"}[i%4]),
			Start: start,
		})
	}
	return d
}

// Campaigns are the data set's campaigns in id order.
func (d *Dataset) Campaigns() []Campaign {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.campaigns)
}

// Campaign finds a campaign by id.
func (d *Dataset) Campaign(id string) (Campaign, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.campaigns {
		if c.ID == id {
			return c, true
		}
	}
	return Campaign{}, false
}

// Rows are the rows of days from through to, by day then campaign. Days with zero
// spend are absent, as the platforms omit them.
func (d *Dataset) Rows(from, to time.Time) []Row {
	d.mu.Lock()
	defer d.mu.Unlock()
	if from.Before(d.opt.From) {
		from = d.opt.From
	}
	if to.After(d.to) {
		to = d.to
	}
	var out []Row
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		for i, c := range d.campaigns {
			if r, ok := d.row(i, c, day); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

func (d *Dataset) row(i int, c Campaign, day time.Time) (Row, bool) {
	if day.Before(c.Start) {
		return Row{}, false
	}
	dn := uint64(day.Unix() / 86400)
	big := d.opt.Big && i == 0 && day.Equal(d.opt.From)
	// About one campaign-day in eight has no spend at all.
	if !big && hash(d.opt.Seed, uint64(i), dn, 1)%8 == 0 {
		return Row{}, false
	}
	v := uint64(d.restated[day])
	micros := int64(hash(d.opt.Seed, uint64(i), dn, 2, v) % 2_500_000_000)
	if big {
		micros = BigMicros
	}
	clicks := int64(hash(d.opt.Seed, uint64(i), dn, 3, v) % 400)
	return Row{
		CampaignID:  c.ID,
		Day:         day,
		Micros:      micros,
		Clicks:      clicks,
		Impressions: clicks*20 + int64(hash(d.opt.Seed, uint64(i), dn, 4, v)%5000),
	}, true
}

// Restate changes every row of day, as a platform does when it corrects a recent
// day; it returns how many rows changed.
func (d *Dataset) Restate(day time.Time) int {
	d.mu.Lock()
	d.restated[day]++
	d.mu.Unlock()
	return len(d.Rows(day, day))
}

// AddCampaign adds a campaign with data from start on and returns its id.
func (d *Dataset) AddCampaign(name string, start time.Time) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := strconv.FormatInt(d.opt.IDBase+int64(len(d.campaigns))+1, 10)
	d.campaigns = append(d.campaigns, Campaign{ID: id, Name: name, Start: start})
	return id
}

// Rename renames a campaign; the platforms report the current name on every row.
func (d *Dataset) Rename(id, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.campaigns {
		if d.campaigns[i].ID == id {
			d.campaigns[i].Name = name
		}
	}
}

// Extend adds data up to and including day to.
func (d *Dataset) Extend(to time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if to.After(d.to) {
		d.to = to
	}
}

// Expected is the mirror's rows for the account after a sync of days from through
// to, sorted by campaign then day, with each campaign's current name.
func (d *Dataset) Expected(accountID, currency string, from, to time.Time) []connector.SpendDay {
	names := map[string]string{}
	for _, c := range d.Campaigns() {
		names[c.ID] = c.Name
	}
	var out []connector.SpendDay
	for _, r := range d.Rows(from, to) {
		out = append(out, connector.SpendDay{
			AccountID:    accountID,
			CampaignID:   r.CampaignID,
			CampaignName: names[r.CampaignID],
			Day:          r.Day,
			Spend:        TrimmedDecimal(r.Micros),
			Currency:     currency,
			Clicks:       r.Clicks,
			Impressions:  r.Impressions,
		})
	}
	SortSpend(out)
	return out
}

// SortSpend orders spend rows by account, campaign and day, the order tests compare in.
func SortSpend(rows []connector.SpendDay) {
	slices.SortFunc(rows, func(a, b connector.SpendDay) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.CampaignID, b.CampaignID), a.Day.Compare(b.Day))
	})
}

// Decimal6 writes micros with six decimals ("12.340000"), as LinkedIn may.
func Decimal6(micros int64) string {
	sign, u := "", uint64(micros)
	if micros < 0 {
		sign, u = "-", -u
	}
	return fmt.Sprintf("%s%d.%06d", sign, u/1_000_000, u%1_000_000)
}

// TrimmedDecimal writes micros without trailing zeros ("12.34", "7"), as Meta does.
func TrimmedDecimal(micros int64) string {
	s := strings.TrimRight(Decimal6(micros), "0")
	return strings.TrimSuffix(s, ".")
}

// hash is SplitMix64 folded over its inputs: cheap, deterministic and well mixed.
func hash(vs ...uint64) uint64 {
	var h uint64 = 0x9e3779b97f4a7c15
	for _, v := range vs {
		h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h += 0x9e3779b97f4a7c15
		z := h
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		h = z ^ (z >> 31)
	}
	return h
}
