package tenants

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
)

// AuditActions pages through the tenant's audit entries whose action starts with
// prefix ("" for all), newest first (audit.ListActions).
func (s *Service) AuditActions(ctx context.Context, tenantID int64, prefix string, before int64, limit int) ([]audit.Logged, bool, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return audit.ListActions(ctx, s.db, tenantID, prefix, before, limit)
}

// ActorNames names the "user:ID" actors of entries by their users' emails, for
// people to read; other actors (API tokens, the config file) are not in the map.
func (s *Service) ActorNames(ctx context.Context, entries []audit.Logged) (map[string]string, error) {
	var ids []int64
	for _, e := range entries {
		if id, err := strconv.ParseInt(strings.TrimPrefix(e.Actor, "user:"), 10, 64); err == nil && strings.HasPrefix(e.Actor, "user:") {
			ids = append(ids, id)
		}
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    int64
		Email string
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT id, email FROM users WHERE id IN ?`, ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("tenants: audit actors: %w", err)
	}
	for _, r := range rows {
		out["user:"+strconv.FormatInt(r.ID, 10)] = r.Email
	}
	return out, nil
}
