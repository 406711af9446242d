package spendfake

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var from = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestDatasetIsDeterministicAndChanges(t *testing.T) {
	opt := Options{Seed: 7, Campaigns: 10, From: from, To: from.AddDate(0, 0, 29), IDBase: 100}
	a, b := Generate(opt), Generate(opt)
	rows := a.Rows(from, from.AddDate(0, 0, 29))
	if diff := cmp.Diff(rows, b.Rows(from, from.AddDate(0, 0, 29))); diff != "" {
		t.Fatalf("same options, different data:\n%s", diff)
	}
	if n := len(rows); n == 0 || n == 300 {
		t.Errorf("%d rows of 300 campaign-days: want some days without spend", n)
	}
	day := from.AddDate(0, 0, 3)
	before := a.Rows(day, day)
	if a.Restate(day) == 0 {
		t.Fatal("restated nothing")
	}
	after := a.Rows(day, day)
	if cmp.Equal(before, after) || len(before) != len(after) {
		t.Errorf("restating changed nothing or changed which rows exist")
	}
	if !cmp.Equal(b.Rows(from, from), a.Rows(from, from)) {
		t.Error("restating one day changed another")
	}
	id := a.AddCampaign("New", from.AddDate(0, 0, 28))
	if _, ok := a.Campaign(id); !ok || id != "111" {
		t.Errorf("AddCampaign() = %q", id)
	}
	if got := a.Rows(from.AddDate(0, 0, 30), from.AddDate(0, 0, 40)); got != nil {
		t.Errorf("rows after the last day: %v", got)
	}
	a.Extend(from.AddDate(0, 0, 30))
	if got := a.Rows(from.AddDate(0, 0, 30), from.AddDate(0, 0, 40)); len(got) == 0 {
		t.Error("Extend added no rows")
	}
}

func TestDecimals(t *testing.T) {
	tests := []struct {
		micros       int64
		six, trimmed string
	}{
		{1_230_000, "1.230000", "1.23"}, {0, "0.000000", "0"}, {7_000_000, "7.000000", "7"},
		{BigMicros, "9007199254.740993", "9007199254.740993"},
	}
	for _, tt := range tests {
		if got := Decimal6(tt.micros); got != tt.six {
			t.Errorf("Decimal6(%d) = %q, want %q", tt.micros, got, tt.six)
		}
		if got := TrimmedDecimal(tt.micros); got != tt.trimmed {
			t.Errorf("TrimmedDecimal(%d) = %q, want %q", tt.micros, got, tt.trimmed)
		}
	}
}

func TestTokens(t *testing.T) {
	tok := NewTokens("id", "secret", "rt", "invalid_grant", "revoked")
	srv := httptest.NewServer(tok)
	defer srv.Close()
	post := func(form url.Values) int {
		res, err := http.PostForm(srv.URL, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	good := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt"}, "client_id": {"id"}, "client_secret": {"secret"}}
	tests := []struct {
		name   string
		change func(url.Values)
		want   int
	}{
		{"good", func(url.Values) {}, 200},
		{"wrong secret", func(v url.Values) { v.Set("client_secret", "x") }, 401},
		{"wrong grant", func(v url.Values) { v.Set("grant_type", "password") }, 400},
		{"unknown refresh token", func(v url.Values) { v.Set("refresh_token", "x") }, 400},
	}
	for _, tt := range tests {
		form := url.Values{}
		for k, v := range good {
			form[k] = v
		}
		tt.change(form)
		if got := post(form); got != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.want)
		}
	}
	if !tok.Valid("Bearer access-1") || tok.Valid("Bearer access-2") || tok.Valid("access-1") {
		t.Error("only the issued token is valid, and only as a bearer token")
	}
	tok.Expire()
	if tok.Valid("Bearer access-1") || post(good) != 200 {
		t.Error("Expire must drop access tokens and keep the refresh token")
	}
	tok.Revoke()
	if post(good) != 400 {
		t.Error("Revoke must drop the refresh token")
	}
	res, _ := http.Get(srv.URL)
	if res.StatusCode != 405 {
		t.Errorf("GET: HTTP %d", res.StatusCode)
	}
	res.Body.Close()
	if !strings.Contains(ExpireToken.String(), "expire") {
		t.Error("fault names")
	}
}
