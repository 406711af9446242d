package syncer

import (
	"context"
	"fmt"
	"io"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/csvimport"
	"github.com/srgplatform/srg/modules/sync/mirror"
)

// ImportResult is what an import did, or why it did nothing.
type ImportResult struct {
	Kind     csvimport.Kind       `json:"kind"`
	Rows     int                  `json:"rows"`
	Imported bool                 `json:"imported"`
	Counts   map[string]int       `json:"counts,omitempty"`
	Errors   []csvimport.RowError `json:"errors,omitempty"`
	// Truncated says checking stopped after the first errors.
	Truncated bool     `json:"truncated,omitempty"`
	Ignored   []string `json:"ignored_columns,omitempty"`
}

// Import reads a CSV file of contacts, accounts or opportunities into the mirror
// (source "csv") in one transaction: with any row in error nothing is imported and
// every error is reported with its line and column.
func (s *Service) Import(ctx context.Context, tenantID int64, kind csvimport.Kind, r io.Reader, limits csvimport.Limits, actor string) (ImportResult, error) {
	ctx = db.WithTenant(ctx, tenantID)
	res, err := csvimport.Parse(kind, r, limits)
	if err != nil {
		return ImportResult{}, err
	}
	out := ImportResult{Kind: kind, Rows: res.Rows, Errors: res.Errors, Truncated: res.Truncated, Ignored: res.Ignored}
	if len(res.Errors) > 0 {
		return out, nil
	}
	var counts mirror.Counts
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if counts, err = mirror.Apply(tx, tenantID, connector.CSV, res.Page); err != nil {
			return fmt.Errorf("sync: import: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor, Action: "import.csv",
			Target: string(kind), Details: map[string]any{"rows": res.Rows}})
	})
	if err != nil {
		return ImportResult{}, err
	}
	out.Imported, out.Counts = true, countsJSON(counts)
	return out, nil
}
