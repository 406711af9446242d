package linkedinads

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// MaxElements is where LinkedIn silently cuts an adAnalytics response; it has no
// paging, so a response this long may be missing rows and is asked again in two
// halves.
const MaxElements = 15_000

// campaignPageSize is the largest page the campaign search finder serves.
const campaignPageSize = 1000

// source reads one Pull's accounts; it remembers each account's campaign names so
// every analytics row can carry one.
type source struct {
	c     *Connector
	names map[string]map[string]string
}

// Account implements adspend.Source: the currency from the ad account, and the
// campaign names, whose count sizes the chunks so that campaigns × days stays
// under MaxElements.
func (s *source) Account(ctx context.Context, id string) (adspend.Account, error) {
	var acct struct {
		ID       adspend.Int `json:"id"`
		Currency string      `json:"currency"`
	}
	if err := s.c.client.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: "/rest/adAccounts/" + id}, &acct); err != nil {
		return adspend.Account{}, err
	}
	if acct.Currency == "" {
		return adspend.Account{}, fmt.Errorf("ad account %s has no currency", id)
	}
	names, err := s.campaigns(ctx, id)
	if err != nil {
		return adspend.Account{}, err
	}
	s.names[id] = names
	// A margin below the cut leaves room for campaigns the search does not list.
	chunk := min(adspend.DefaultChunkDays, max(1, (MaxElements*9/10)/max(1, len(names))))
	return adspend.Account{ID: id, Currency: acct.Currency, ChunkDays: chunk}, nil
}

type campaign struct {
	ID   adspend.Int `json:"id"`
	Name string      `json:"name"`
}

// campaigns pages through the account's campaign search finder (cursor paging
// since version 202401).
func (s *source) campaigns(ctx context.Context, account string) (map[string]string, error) {
	names := map[string]string{}
	token := ""
	for {
		path := fmt.Sprintf("/rest/adAccounts/%s/adCampaigns?q=search&pageSize=%d", account, campaignPageSize)
		if token != "" {
			path += "&pageToken=" + url.QueryEscape(token)
		}
		var page struct {
			Elements []campaign `json:"elements"`
			Metadata struct {
				NextPageToken string `json:"nextPageToken"`
			} `json:"metadata"`
		}
		if err := s.c.client.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: path}, &page); err != nil {
			return nil, err
		}
		for _, c := range page.Elements {
			names[strconv.FormatInt(int64(c.ID), 10)] = c.Name
		}
		if page.Metadata.NextPageToken == "" || page.Metadata.NextPageToken == token || len(page.Elements) == 0 {
			return names, nil
		}
		token = page.Metadata.NextPageToken
	}
}

// name is a campaign's name, read on its own when the search did not list it.
func (s *source) name(ctx context.Context, account, id string) (string, error) {
	if n, ok := s.names[account][id]; ok {
		return n, nil
	}
	var c campaign
	if err := s.c.client.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: "/rest/adAccounts/" + account + "/adCampaigns/" + id}, &c); err != nil {
		return "", fmt.Errorf("campaign %s: %w", id, err)
	}
	if s.names[account] == nil {
		s.names[account] = map[string]string{}
	}
	s.names[account][id] = c.Name
	return c.Name, nil
}

type date struct {
	Year  int `json:"year"`
	Month int `json:"month"`
	Day   int `json:"day"`
}

type element struct {
	DateRange struct {
		Start date `json:"start"`
	} `json:"dateRange"`
	PivotValues         []string    `json:"pivotValues"`
	CostInLocalCurrency string      `json:"costInLocalCurrency"`
	Impressions         adspend.Int `json:"impressions"`
	Clicks              adspend.Int `json:"clicks"`
}

// Fetch implements adspend.Source: one adAnalytics request per range, split in two
// whenever LinkedIn's cut may have dropped rows.
func (s *source) Fetch(ctx context.Context, a adspend.Account, rg adspend.Range, emit func([]connector.SpendDay) error) error {
	var resp struct {
		Elements []element `json:"elements"`
	}
	if err := s.c.client.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: analyticsPath(a.ID, rg)}, &resp); err != nil {
		return err
	}
	if len(resp.Elements) >= MaxElements {
		if rg.Days() == 1 {
			return fmt.Errorf("more than %d campaigns spent on %s: LinkedIn cuts the report there", MaxElements, rg.From.Format(adspend.DateLayout))
		}
		mid := rg.From.AddDate(0, 0, rg.Days()/2-1)
		if err := s.Fetch(ctx, a, adspend.Range{From: rg.From, To: mid}, emit); err != nil {
			return err
		}
		return s.Fetch(ctx, a, adspend.Range{From: mid.AddDate(0, 0, 1), To: rg.To}, emit)
	}
	page := make([]connector.SpendDay, 0, len(resp.Elements))
	for _, e := range resp.Elements {
		if len(e.PivotValues) != 1 || !strings.HasPrefix(e.PivotValues[0], campaignURN) {
			return fmt.Errorf("analytics element pivots on %q, not one campaign", e.PivotValues)
		}
		id := strings.TrimPrefix(e.PivotValues[0], campaignURN)
		spend, err := adspend.Decimal(e.CostInLocalCurrency)
		if err != nil {
			return fmt.Errorf("campaign %s: costInLocalCurrency: %w", id, err)
		}
		day := time.Date(e.DateRange.Start.Year, time.Month(e.DateRange.Start.Month), e.DateRange.Start.Day, 0, 0, 0, 0, time.UTC)
		if day.Before(rg.From) || day.After(rg.To) {
			return fmt.Errorf("campaign %s: day %s is outside the range asked for", id, day.Format(adspend.DateLayout))
		}
		name, err := s.name(ctx, a.ID, id)
		if err != nil {
			return err
		}
		page = append(page, connector.SpendDay{
			AccountID:    a.ID,
			CampaignID:   id,
			CampaignName: name,
			Day:          day,
			Spend:        spend,
			Currency:     a.Currency,
			Clicks:       int64(e.Clicks),
			Impressions:  int64(e.Impressions),
		})
	}
	return emit(page)
}

// analyticsPath writes the query in Rest.li 2.0 syntax by hand: url.Values would
// percent-encode the parentheses, commas and colons that are its structure, while
// the URN inside List(...) must have its own colons encoded.
func analyticsPath(account string, rg adspend.Range) string {
	d := func(t date) string { return fmt.Sprintf("(year:%d,month:%d,day:%d)", t.Year, t.Month, t.Day) }
	from := date{rg.From.Year(), int(rg.From.Month()), rg.From.Day()}
	to := date{rg.To.Year(), int(rg.To.Month()), rg.To.Day()}
	return "/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY" +
		"&dateRange=(start:" + d(from) + ",end:" + d(to) + ")" +
		"&accounts=List(" + url.QueryEscape(accountURN+account) + ")" +
		"&fields=dateRange,pivotValues,costInLocalCurrency,impressions,clicks"
}

// Classify reads LinkedIn's error bodies ({"status","serviceErrorCode","code",
// "message"}) on top of the default status handling, so failures carry
// LinkedIn's reason.
func Classify(r *apiclient.Response) apiclient.Classification {
	cl := apiclient.DefaultClassify(r)
	if cl.Verdict != apiclient.Fail {
		return cl
	}
	var e struct {
		ServiceErrorCode int    `json:"serviceErrorCode"`
		Code             string `json:"code"`
		Message          string `json:"message"`
	}
	if json.Unmarshal(r.Body, &e) == nil && e.Message != "" {
		cl.Err = fmt.Errorf("HTTP %d %s (%d): %s", r.Status, e.Code, e.ServiceErrorCode, e.Message)
	}
	return cl
}
