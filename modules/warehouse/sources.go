package warehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Index reads a tenant's Elasticsearch indices; app/search implements it.
type Index interface {
	ChangedTouchpoints(ctx context.Context, tenant string, afterAt time.Time, afterID string, until time.Time,
		fn func(source json.RawMessage, updatedAt time.Time) error) error
	CreditsOf(ctx context.Context, tenant string, opportunityIDs []string, fn func(source json.RawMessage) error) error
	Query(ctx context.Context, tenant, kind string, body any) (json.RawMessage, error)
	Mapping(ctx context.Context, tenant, kind string) (map[string]any, error)
}

// Tables pages through the rows other modules keep in Postgres that changed since
// a mark; app implements it with the owning modules' export queries.
type Tables interface {
	ChangedPeople(ctx context.Context, tenantID int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]PersonRow, error)
	ChangedAccounts(ctx context.Context, tenantID int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]AccountRow, error)
	ChangedOpportunities(ctx context.Context, tenantID int64, afterAt time.Time, afterKey [2]string, until time.Time, limit int) ([]OpportunityRow, error)
	ChangedSpend(ctx context.Context, tenantID int64, afterAt time.Time, afterKey [4]string, until time.Time, limit int) ([]SpendRow, error)
	ChangedCredits(ctx context.Context, tenantID int64, afterAt time.Time, afterID string, until time.Time, limit int) ([]CreditChange, error)
}

// PersonRow is a person to export.
type PersonRow struct {
	ID          int64
	Email       string
	AccountID   *int64
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	CreatedAt   time.Time
	ChangedAt   time.Time
}

// AccountRow is an account to export.
type AccountRow struct {
	ID        int64
	Domain    string
	Name      string
	CreatedAt time.Time
	ChangedAt time.Time
}

// OpportunityRow is a CRM opportunity to export (or to delete, when Deleted).
type OpportunityRow struct {
	Source             string
	ExternalID         string
	Name               string
	AccountExternalID  string
	Amount             *float64
	Currency           string
	Pipeline           string
	Stage              string
	IsWon              bool
	IsClosed           bool
	CreatedDate        *time.Time
	CloseDate          *time.Time
	CampaignExternalID string
	ModifiedAt         *time.Time
	Deleted            bool
	ChangedAt          time.Time
}

// SpendRow is one campaign's ad spend of one day.
type SpendRow struct {
	Platform     string
	AccountID    string
	CampaignID   string
	Day          time.Time
	CampaignName string
	Spend        float64
	Currency     string
	Clicks       int64
	Impressions  int64
	ChangedAt    time.Time
}

// CreditChange names an opportunity whose set of credits changed.
type CreditChange struct {
	OpportunityID string
	ChangedAt     time.Time
}

// PII modes: how people's emails are exported.
const (
	PIIExport = "export"
	PIIHash   = "hash"
	PIIOmit   = "omit"
)

// scope is what one dataset's read covers.
type scope struct {
	tenantID int64
	tenant   string
	from     Mark
	until    time.Time
	pii      string
	salt     []byte
	// values, when not nil, asks the sources that decode documents for their rows
	// as Parquet values (Batch.Values) and recycles them: the target writes files.
	values valuePool
}

// email applies the PII mode: the address, its salted SHA-256 (hex) or nothing.
func (s *scope) email(e string) any {
	switch s.pii {
	case PIIExport:
		return e
	case PIIHash:
		h := sha256.New()
		h.Write(s.salt)
		h.Write([]byte(strings.ToLower(strings.TrimSpace(e))))
		return hex.EncodeToString(h.Sum(nil))
	}
	return nil
}

// sourceFunc reads one dataset's changes in scope and calls fn with each batch.
type sourceFunc func(ctx context.Context, s *scope, fn func(*Batch) error) error

// pageSize is how many rows a Postgres page or a touchpoint batch holds; creditPage
// is how many opportunities' credits a credits batch holds.
const (
	pageSize   = 5000
	creditPage = 500
)

type sources struct {
	index  Index
	tables Tables
}

func (src sources) of(name string) sourceFunc {
	switch name {
	case Touchpoints:
		return src.touchpoints
	case Credits:
		return src.credits
	case Opportunities:
		return src.opportunities
	case People:
		return src.people
	case Accounts:
		return src.accounts
	case AdSpend:
		return src.spend
	case ChannelDaily:
		return src.channelDaily
	}
	return nil
}

// str is nil for an empty string: absent fields are nulls in the export.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func (src sources) touchpoints(ctx context.Context, s *scope, fn func(*Batch) error) error {
	p := startDecoding(ctx, s, DatasetByName(Touchpoints), func() decodeFunc { return newTouchpointDecoder().row }, true, fn)
	err := src.index.ChangedTouchpoints(p.ctx, s.tenant, s.from.At, s.from.ID, s.until, func(raw json.RawMessage, at time.Time) error {
		if err := p.add(raw); err != nil {
			return err
		}
		p.job.batch.Mark.At = at
		if p.job.len() == pageSize {
			return p.submit()
		}
		return nil
	})
	if err == nil && p.job.len() > 0 {
		err = p.submit()
	}
	return p.close(err)
}

// credits exports, for each opportunity whose credits changed, its whole current
// set of credits, replacing the set exported before (none, when its credits were
// removed).
func (src sources) credits(ctx context.Context, s *scope, fn func(*Batch) error) error {
	p := startDecoding(ctx, s, DatasetByName(Credits), func() decodeFunc { return newCreditDecoder().rows }, false, fn)
	return p.close(src.creditPages(p, s))
}

// creditPages reads the credits of a page of changed opportunities at a time.
func (src sources) creditPages(p *docPipeline, s *scope) error {
	after := s.from
	for {
		changes, err := src.tables.ChangedCredits(p.ctx, s.tenantID, after.At, after.ID, s.until, creditPage)
		if err != nil || len(changes) == 0 {
			return err
		}
		b := p.job.batch
		b.Deletes = make([][]any, len(changes))
		ids := make([]string, len(changes))
		for i, c := range changes {
			ids[i] = c.OpportunityID
			b.Deletes[i] = []any{c.OpportunityID}
		}
		err = src.index.CreditsOf(p.ctx, s.tenant, ids, p.add)
		if err != nil {
			return err
		}
		last := changes[len(changes)-1]
		after = Mark{At: last.ChangedAt, ID: last.OpportunityID}
		b.Mark = after
		if err := p.submit(); err != nil {
			return err
		}
		if len(changes) < creditPage {
			return nil
		}
	}
}

// page runs a keyset-paged read of a Postgres table: next reads the page after a
// mark and turns it into a batch.
func page(ctx context.Context, s *scope, fn func(*Batch) error, next func(after Mark) (*Batch, int, error)) error {
	after := s.from
	for {
		b, n, err := next(after)
		if err != nil || n == 0 {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		if n < pageSize {
			return nil
		}
		after = b.Mark
	}
}

func intMark(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

func (src sources) people(ctx context.Context, s *scope, fn func(*Batch) error) error {
	return page(ctx, s, fn, func(after Mark) (*Batch, int, error) {
		rows, err := src.tables.ChangedPeople(ctx, s.tenantID, after.At, intMark(after.ID), s.until, pageSize)
		if err != nil || len(rows) == 0 {
			return nil, 0, err
		}
		b := &Batch{Rows: make([][]any, len(rows))}
		for i, p := range rows {
			var account any
			if p.AccountID != nil {
				account = *p.AccountID
			}
			b.Rows[i] = []any{p.ID, s.email(p.Email), account, ts(p.FirstSeenAt), ts(p.LastSeenAt), ts(p.CreatedAt), ts(p.ChangedAt)}
		}
		last := rows[len(rows)-1]
		b.Mark = Mark{At: last.ChangedAt, ID: strconv.FormatInt(last.ID, 10)}
		return b, len(rows), nil
	})
}

func (src sources) accounts(ctx context.Context, s *scope, fn func(*Batch) error) error {
	return page(ctx, s, fn, func(after Mark) (*Batch, int, error) {
		rows, err := src.tables.ChangedAccounts(ctx, s.tenantID, after.At, intMark(after.ID), s.until, pageSize)
		if err != nil || len(rows) == 0 {
			return nil, 0, err
		}
		b := &Batch{Rows: make([][]any, len(rows))}
		for i, a := range rows {
			b.Rows[i] = []any{a.ID, a.Domain, str(a.Name), ts(a.CreatedAt), ts(a.ChangedAt)}
		}
		last := rows[len(rows)-1]
		b.Mark = Mark{At: last.ChangedAt, ID: strconv.FormatInt(last.ID, 10)}
		return b, len(rows), nil
	})
}

// keyMark encodes a composite key as a mark id (a JSON array), and back.
func keyMark(parts ...string) string {
	b, _ := json.Marshal(parts)
	return string(b)
}

func markKey(id string, n int) []string {
	parts := make([]string, n)
	var got []string
	if json.Unmarshal([]byte(id), &got) == nil {
		copy(parts, got)
	}
	return parts
}

func (src sources) opportunities(ctx context.Context, s *scope, fn func(*Batch) error) error {
	return page(ctx, s, fn, func(after Mark) (*Batch, int, error) {
		k := markKey(after.ID, 2)
		rows, err := src.tables.ChangedOpportunities(ctx, s.tenantID, after.At, [2]string{k[0], k[1]}, s.until, pageSize)
		if err != nil || len(rows) == 0 {
			return nil, 0, err
		}
		b := &Batch{}
		for _, o := range rows {
			if o.Deleted {
				b.Deletes = append(b.Deletes, []any{o.Source, o.ExternalID})
				continue
			}
			var amount any
			if o.Amount != nil {
				amount = *o.Amount
			}
			b.Rows = append(b.Rows, []any{o.Source, o.ExternalID, str(o.Name), str(o.AccountExternalID), amount, str(o.Currency),
				str(o.Pipeline), str(o.Stage), o.IsWon, o.IsClosed, tsp(o.CreatedDate), tsp(o.CloseDate),
				str(o.CampaignExternalID), tsp(o.ModifiedAt), ts(o.ChangedAt)})
		}
		last := rows[len(rows)-1]
		b.Mark = Mark{At: last.ChangedAt, ID: keyMark(last.Source, last.ExternalID)}
		return b, len(rows), nil
	})
}

func (src sources) spend(ctx context.Context, s *scope, fn func(*Batch) error) error {
	return page(ctx, s, fn, func(after Mark) (*Batch, int, error) {
		k := markKey(after.ID, 4)
		rows, err := src.tables.ChangedSpend(ctx, s.tenantID, after.At, [4]string{k[0], k[1], k[2], k[3]}, s.until, pageSize)
		if err != nil || len(rows) == 0 {
			return nil, 0, err
		}
		b := &Batch{Rows: make([][]any, len(rows))}
		for i, r := range rows {
			b.Rows[i] = []any{r.Platform, r.AccountID, r.CampaignID, r.Day.UTC(), str(r.CampaignName), r.Spend, str(r.Currency),
				r.Clicks, r.Impressions, ts(r.ChangedAt)}
		}
		last := rows[len(rows)-1]
		b.Mark = Mark{At: last.ChangedAt, ID: keyMark(last.Platform, last.AccountID, last.CampaignID, last.Day.UTC().Format(time.DateOnly))}
		return b, len(rows), nil
	})
}
