// Package synctest runs connectors through the real mirror run against a database
// made for each test, and reads the mirror back for comparison with a fake source.
package synctest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/mirror"
)

// Mirror is a per-test database holding one tenant with one connector.
type Mirror struct {
	// DB is the pool the code under test gets; it sees no tenant's rows by itself
	// (fixtures and checks use Tenant).
	DB          *gorm.DB
	TenantID    int64
	ConnectorID int64
	Kind        connector.Kind
	t           testing.TB
}

// New makes the database, a tenant and a connector of the given kind.
func New(t testing.TB, kind connector.Kind) *Mirror {
	t.Helper()
	m := &Mirror{DB: apptest.DB(t, apptest.Config(t)), Kind: kind, t: t}
	if err := m.DB.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&m.TenantID).Error; err != nil {
		t.Fatalf("synctest: tenant: %v", err)
	}
	if err := m.Tenant().Raw(`INSERT INTO connectors (tenant_id, kind, credentials) VALUES (?, ?, '\x00') RETURNING id`, m.TenantID, string(kind)).Scan(&m.ConnectorID).Error; err != nil {
		t.Fatalf("synctest: connector: %v", err)
	}
	return m
}

// Tenant is DB under the scope of the mirror's tenant, for fixtures and checks.
func (m *Mirror) Tenant() *gorm.DB { return AsTenant(m.DB, m.TenantID) }

// AsTenant is gdb under the scope of one tenant, for tests' fixtures and checks of
// that tenant's rows; never for the code under test.
func AsTenant(gdb *gorm.DB, tenantID int64) *gorm.DB {
	return gdb.WithContext(db.WithTenant(context.Background(), tenantID))
}

// Pull runs p through a real run: cursors come from and go to the database, and
// each page commits with its cursor in one transaction.
func (m *Mirror) Pull(ctx context.Context, p connector.Puller) error {
	r, err := mirror.Open(ctx, m.DB, m.TenantID, m.ConnectorID, m.Kind, apptest.Logger(m.t))
	if err != nil {
		return err
	}
	return p.Pull(ctx, r)
}

// ErrCrash is what a commit returns once PullFailingAfter's budget is spent.
var ErrCrash = errors.New("synctest: simulated crash before this commit")

// PullFailingAfter is Pull, except that the commit after the first n fails as if the
// process died before it: nothing of that page or its cursor is written.
func (m *Mirror) PullFailingAfter(ctx context.Context, p connector.Puller, n int) error {
	r, err := mirror.Open(ctx, m.DB, m.TenantID, m.ConnectorID, m.Kind, apptest.Logger(m.t))
	if err != nil {
		return err
	}
	return p.Pull(ctx, &crashingRun{Run: r, left: n})
}

type crashingRun struct {
	*mirror.Run
	left int
}

func (c *crashingRun) Commit(ctx context.Context, stream, cursor string, page connector.Page) error {
	if c.left <= 0 {
		return ErrCrash
	}
	c.left--
	return c.Run.Commit(ctx, stream, cursor, page)
}

// Cursors are the connector's stored cursors by stream.
func (m *Mirror) Cursors(t testing.TB) map[string]string {
	t.Helper()
	var rows []struct{ Stream, Cursor string }
	if err := m.DB.Raw(`SELECT stream, cursor FROM sync_cursors WHERE connector_id = ?`, m.ConnectorID).Scan(&rows).Error; err != nil {
		t.Fatalf("synctest: cursors: %v", err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Stream] = r.Cursor
	}
	return out
}

// table and filter of an object type's mirror rows.
func where(obj connector.Object) (table, filter string, idCol string) {
	switch obj {
	case connector.ObjAccount:
		return "crm_accounts", "", "external_id"
	case connector.ObjContact:
		return "crm_contacts", "kind = 'contact'", "external_id"
	case connector.ObjLead:
		return "crm_contacts", "kind = 'lead'", "external_id"
	case connector.ObjOpportunity:
		return "crm_opportunities", "", "external_id"
	case connector.ObjCampaign:
		return "crm_campaigns", "", "external_id"
	case connector.ObjCampaignMember:
		return "crm_campaign_members", "", "external_id"
	case connector.ObjContactRole:
		return "crm_opportunity_contacts", "", "opportunity_external_id || ':' || contact_external_id"
	case connector.ObjContactAccount:
		return "crm_contact_accounts", "", "contact_external_id || ':' || account_external_id"
	case connector.ObjStage:
		return "crm_stages", "", "pipeline || ':' || stage"
	case connector.ObjSpend:
		return "ad_spend_daily", "", "account_id || ':' || campaign_id || ':' || to_char(day, 'YYYY-MM-DD')"
	}
	panic(fmt.Sprintf("synctest: unknown object %q", obj))
}

// IDs are the sorted external ids of the object type's rows for this tenant and
// source, live ones (deleted false) or deleted ones. Contact roles are
// "opportunity:contact", contact accounts "contact:account", stages
// "pipeline:stage", spend rows "account:campaign:YYYY-MM-DD"; the last three have
// no deleted flag and are all live.
func (m *Mirror) IDs(t testing.TB, obj connector.Object, deleted bool) []string {
	t.Helper()
	table, filter, idCol := where(obj)
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE tenant_id = ? AND %s = ?`, idCol, table, sourceCol(table))
	args := []any{m.TenantID, string(m.Kind)}
	if filter != "" {
		q += " AND " + filter
	}
	if hasDeleted(table) {
		q += " AND deleted = ?"
		args = append(args, deleted)
	} else if deleted {
		return nil
	}
	var ids []string
	if err := m.Tenant().Raw(q, args...).Scan(&ids).Error; err != nil {
		t.Fatalf("synctest: ids: %v", err)
	}
	slices.Sort(ids)
	return ids
}

// Row is the object's mirror row as column → value, nil when there is none. For
// contact roles, contact accounts, stages and spend, id is as in IDs.
func (m *Mirror) Row(t testing.TB, obj connector.Object, id string) map[string]any {
	t.Helper()
	table, filter, idCol := where(obj)
	q := fmt.Sprintf(`SELECT * FROM %s WHERE tenant_id = ? AND %s = ? AND %s = ?`, table, sourceCol(table), idCol)
	if filter != "" {
		q += " AND " + filter
	}
	var rows []map[string]any
	if err := m.Tenant().Raw(q, m.TenantID, string(m.Kind), id).Scan(&rows).Error; err != nil {
		t.Fatalf("synctest: row: %v", err)
	}
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

// Rows are all of a table's rows for this tenant, as column → value.
func (m *Mirror) Rows(t testing.TB, table string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := m.Tenant().Raw(fmt.Sprintf(`SELECT * FROM %s WHERE tenant_id = ?`, table), m.TenantID).Scan(&rows).Error; err != nil {
		t.Fatalf("synctest: rows: %v", err)
	}
	return rows
}

// Count is the number of a table's rows for this tenant.
func (m *Mirror) Count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := m.Tenant().Raw(fmt.Sprintf(`SELECT count(*) FROM %s WHERE tenant_id = ?`, table), m.TenantID).Scan(&n).Error; err != nil {
		t.Fatalf("synctest: count: %v", err)
	}
	return n
}

func sourceCol(table string) string {
	if table == "ad_spend_daily" {
		return "platform"
	}
	return "source"
}

func hasDeleted(table string) bool {
	switch table {
	case "crm_contact_accounts", "crm_stages", "ad_spend_daily":
		return false
	}
	return true
}
