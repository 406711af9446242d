package app

import (
	"context"
	"time"

	"github.com/srgplatform/srg/modules/attribution"
	"github.com/srgplatform/srg/modules/identity"
	"github.com/srgplatform/srg/modules/warehouse"

	syncer "github.com/srgplatform/srg/modules/sync"
)

// warehouseTables gives the warehouse export the rows that identity, sync and
// attribution changed, through their export queries.
type warehouseTables struct {
	identity    *identity.Service
	sync        *syncer.Service
	attribution *attribution.Service
}

// convert maps the owner's rows to the warehouse's, whose fields are the same.
func convert[From, To any](rows []From, err error, to func(From) To) ([]To, error) {
	if err != nil {
		return nil, err
	}
	out := make([]To, len(rows))
	for i, r := range rows {
		out[i] = to(r)
	}
	return out, nil
}

func (a warehouseTables) ChangedPeople(ctx context.Context, tenantID int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]warehouse.PersonRow, error) {
	rows, err := a.identity.ChangedPeople(ctx, tenantID, afterAt, afterID, until, limit)
	return convert(rows, err, func(r identity.PersonChange) warehouse.PersonRow { return warehouse.PersonRow(r) })
}

func (a warehouseTables) ChangedAccounts(ctx context.Context, tenantID int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]warehouse.AccountRow, error) {
	rows, err := a.identity.ChangedAccounts(ctx, tenantID, afterAt, afterID, until, limit)
	return convert(rows, err, func(r identity.AccountChange) warehouse.AccountRow { return warehouse.AccountRow(r) })
}

func (a warehouseTables) ChangedOpportunities(ctx context.Context, tenantID int64, afterAt time.Time, afterKey [2]string, until time.Time, limit int) ([]warehouse.OpportunityRow, error) {
	rows, err := a.sync.ChangedOpportunities(ctx, tenantID, afterAt, afterKey, until, limit)
	return convert(rows, err, func(r syncer.OpportunityChange) warehouse.OpportunityRow { return warehouse.OpportunityRow(r) })
}

func (a warehouseTables) ChangedSpend(ctx context.Context, tenantID int64, afterAt time.Time, afterKey [4]string, until time.Time, limit int) ([]warehouse.SpendRow, error) {
	rows, err := a.sync.ChangedSpend(ctx, tenantID, afterAt, afterKey, until, limit)
	return convert(rows, err, func(r syncer.SpendChange) warehouse.SpendRow { return warehouse.SpendRow(r) })
}

func (a warehouseTables) ChangedCredits(ctx context.Context, tenantID int64, afterAt time.Time, afterID string, until time.Time, limit int) ([]warehouse.CreditChange, error) {
	rows, err := a.attribution.ChangedCredits(ctx, tenantID, afterAt, afterID, until, limit)
	return convert(rows, err, func(r attribution.CreditChange) warehouse.CreditChange { return warehouse.CreditChange(r) })
}
