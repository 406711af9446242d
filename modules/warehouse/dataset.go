package warehouse

import (
	"slices"
	"time"
)

// Mark is a position in a dataset's change order: the change time of the last row
// exported and its id, which breaks ties between rows changed at the same time.
type Mark struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// Type is a column's type; each destination maps it to its own.
type Type string

// Column types.
const (
	String    Type = "string"
	Int       Type = "int64"
	Float     Type = "double"
	Bool      Type = "boolean"
	Timestamp Type = "timestamp"
	Date      Type = "date"
)

// Column is one column of a dataset. Values are Go strings, int64, float64, bool
// and time.Time (UTC; dates at midnight), or nil.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
}

// Dataset is one exported table with a stable, documented schema (README,
// "Warehouse export"). Columns are only ever added, at the end, with Version raised.
type Dataset struct {
	Name    string
	Version int
	Columns []Column
	// Key is the primary key: a row replaces the earlier row with the same key.
	Key []string
	// DeleteBy are the columns a batch's deletes match: the key, or for credits the
	// opportunity whose whole set of credits a batch replaces.
	DeleteBy []string
	// Replace means every export holds the whole dataset, replacing what the
	// destination had (the rollups); otherwise exports are incremental upserts.
	Replace bool
}

// Batch is a page of a dataset's changes. Deletes (values of DeleteBy) apply before
// Rows (values of Columns, in order).
type Batch struct {
	Rows [][]any
	// Values, when not nil, holds the rows instead of Rows, as Parquet values: what
	// the sources that decode documents give a file target (scope.values).
	Values  *valueBatch
	Deletes [][]any
	// Mark is the position after the batch's last row.
	Mark Mark
}

// Dataset names.
const (
	Touchpoints   = "touchpoints"
	Credits       = "credits"
	Opportunities = "opportunities"
	People        = "people"
	Accounts      = "accounts"
	AdSpend       = "ad_spend"
	ChannelDaily  = "channel_daily"
)

func cols(spec ...string) []Column {
	out := make([]Column, 0, len(spec)/2)
	for i := 0; i < len(spec); i += 2 {
		out = append(out, Column{Name: spec[i], Type: Type(spec[i+1])})
	}
	return out
}

// touchpointColumns are read from the touchpoint documents by name (see
// touchpointRow): the order is the export's.
var touchpointColumns = cols(
	"event_id", "string", "occurred_at", "timestamp", "received_at", "timestamp", "updated_at", "timestamp",
	"type", "string", "name", "string", "site_key", "string", "visitor_id", "string", "session_id", "string",
	"session_start", "boolean", "person_id", "string", "account_id", "string", "email_domain", "string",
	"url", "string", "path", "string", "title", "string", "referrer", "string", "referrer_host", "string",
	"landing_page", "string", "utm_source", "string", "utm_medium", "string", "utm_campaign", "string",
	"utm_term", "string", "utm_content", "string", "utm_id", "string", "click_id_type", "string", "click_id", "string",
	"channel", "string", "channel_rule", "string", "link_url", "string", "file_ext", "string", "form_id", "string",
	"form_name", "string", "browser", "string", "browser_version", "string", "os", "string", "device_type", "string",
	"is_bot", "boolean", "country", "string", "screen", "string", "language", "string", "timezone", "string",
)

// Datasets lists every dataset, in the order a run exports them.
var Datasets = []*Dataset{
	{Name: Touchpoints, Version: 1, Columns: touchpointColumns, Key: []string{"event_id"}, DeleteBy: []string{"event_id"}},
	{Name: Credits, Version: 1, Columns: cols(
		"credit_id", "string", "model", "string", "model_version", "string", "settings_hash", "string",
		"opportunity_id", "string", "touchpoint_id", "string", "person_id", "string", "account_id", "string",
		"kind", "string", "channel", "string", "channel_rule", "string", "campaign", "string", "source", "string",
		"medium", "string", "content", "string", "landing_page", "string", "touched_at", "timestamp",
		"opportunity_created_at", "timestamp", "closed_at", "timestamp", "computed_at", "timestamp",
		"fraction", "double", "amount", "double", "currency", "string", "opportunity_amount", "double",
	), Key: []string{"credit_id", "model"}, DeleteBy: []string{"opportunity_id"}},
	{Name: Opportunities, Version: 1, Columns: cols(
		"source", "string", "external_id", "string", "name", "string", "account_external_id", "string",
		"amount", "double", "currency", "string", "pipeline", "string", "stage", "string", "is_won", "boolean",
		"is_closed", "boolean", "created_date", "timestamp", "close_date", "date", "campaign_external_id", "string",
		"modified_at", "timestamp", "changed_at", "timestamp",
	), Key: []string{"source", "external_id"}, DeleteBy: []string{"source", "external_id"}},
	{Name: People, Version: 1, Columns: cols(
		"id", "int64", "email", "string", "account_id", "int64", "first_seen_at", "timestamp",
		"last_seen_at", "timestamp", "created_at", "timestamp", "changed_at", "timestamp",
	), Key: []string{"id"}, DeleteBy: []string{"id"}},
	{Name: Accounts, Version: 1, Columns: cols(
		"id", "int64", "domain", "string", "name", "string", "created_at", "timestamp", "changed_at", "timestamp",
	), Key: []string{"id"}, DeleteBy: []string{"id"}},
	{Name: AdSpend, Version: 1, Columns: cols(
		"platform", "string", "account_id", "string", "campaign_id", "string", "day", "date",
		"campaign_name", "string", "spend", "double", "currency", "string", "clicks", "int64",
		"impressions", "int64", "changed_at", "timestamp",
	), Key: []string{"platform", "account_id", "campaign_id", "day"}, DeleteBy: []string{"platform", "account_id", "campaign_id", "day"}},
	{Name: ChannelDaily, Version: 1, Columns: cols(
		"day", "date", "model", "string", "channel", "string", "campaign", "string", "currency", "string",
		"credits", "int64", "amount", "double",
	), Key: []string{"day", "model", "channel", "campaign", "currency"}, Replace: true},
}

// DatasetNames lists the datasets' names.
func DatasetNames() []string {
	out := make([]string, len(Datasets))
	for i, d := range Datasets {
		out[i] = d.Name
	}
	return out
}

// DatasetByName returns the dataset of that name, or nil.
func DatasetByName(name string) *Dataset {
	i := slices.IndexFunc(Datasets, func(d *Dataset) bool { return d.Name == name })
	if i < 0 {
		return nil
	}
	return Datasets[i]
}

// index returns the positions of the named columns.
func (d *Dataset) index(names []string) []int {
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = slices.IndexFunc(d.Columns, func(c Column) bool { return c.Name == n })
	}
	return out
}

// columnsOf returns the named columns.
func (d *Dataset) columnsOf(names []string) []Column {
	out := make([]Column, len(names))
	for i, j := range d.index(names) {
		out[i] = d.Columns[j]
	}
	return out
}

// len is how many rows the batch holds.
func (b *Batch) len() int {
	if b.Values != nil {
		return b.Values.n
	}
	return len(b.Rows)
}
