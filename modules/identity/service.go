package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Identity is who a visitor is: a person and, unless they use free mail, a company.
// Empty strings mean unknown.
type Identity struct {
	PersonID  string
	AccountID string
}

// Service resolves identities.
type Service struct {
	db       *gorm.DB
	updater  TouchpointUpdater
	log      *slog.Logger
	freeMail freeMail
	delay    time.Duration
}

// NewService builds the service.
func NewService(d Deps) *Service {
	delay := d.SecondPassDelay
	if delay == 0 {
		delay = time.Minute
	}
	return &Service{db: d.DB, updater: d.Updater, log: d.Log, freeMail: loadFreeMail(), delay: delay}
}

// EmailDomain returns the lower-case domain of a valid address.
func EmailDomain(email string) (string, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != strings.TrimSpace(email) {
		return "", errs.Invalid("email", "%q is not an email address", email)
	}
	at := strings.LastIndexByte(addr.Address, '@')
	domain := strings.ToLower(addr.Address[at+1:])
	if !strings.Contains(domain, ".") {
		return "", errs.Invalid("email", "%q has no domain", email)
	}
	return domain, nil
}

// IsFreeMail reports whether domain belongs to a free or disposable mail provider.
func (s *Service) IsFreeMail(domain string) bool { return s.freeMail.has(strings.ToLower(domain)) }

// Identify records that the visitor is the person with this email: it creates or
// finds the person (and their company, by email domain), links the visitor id to
// them, and queues the update of the visitor's earlier touchpoints when the link is
// new or changed.
func (s *Service) Identify(ctx context.Context, tenantID int64, tenantSlug, visitorID, email string, traits map[string]any, seenAt time.Time) (Identity, error) {
	ctx = db.WithTenant(ctx, tenantID)
	domain, err := EmailDomain(email)
	if err != nil {
		return Identity{}, err
	}
	email = strings.TrimSpace(email)
	traitsJSON := []byte("{}")
	if len(traits) > 0 {
		if traitsJSON, err = json.Marshal(traits); err != nil {
			return Identity{}, errs.Invalid("traits", "traits are not JSON: %v", err)
		}
	}
	var id Identity
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var accountID *int64
		if !s.freeMail.has(domain) {
			var aid int64
			if err := tx.Raw(`
				INSERT INTO accounts (tenant_id, domain, name) VALUES (?, ?, ?)
				ON CONFLICT (tenant_id, domain) DO UPDATE SET updated_at = accounts.updated_at
				RETURNING id`, tenantID, domain, domain).Scan(&aid).Error; err != nil {
				return fmt.Errorf("identity: account: %w", err)
			}
			accountID = &aid
		}
		var personID int64
		if err := tx.Raw(`
			INSERT INTO people (tenant_id, email, account_id, traits, first_seen_at, last_seen_at)
			VALUES (?, ?, ?, ?::jsonb, ?, ?)
			ON CONFLICT (tenant_id, lower(email)) DO UPDATE SET
				account_id = COALESCE(people.account_id, EXCLUDED.account_id),
				traits = people.traits || EXCLUDED.traits,
				first_seen_at = LEAST(people.first_seen_at, EXCLUDED.first_seen_at),
				last_seen_at = GREATEST(people.last_seen_at, EXCLUDED.last_seen_at),
				updated_at = now()
			RETURNING id, account_id`, tenantID, email, accountID, string(traitsJSON), seenAt, seenAt).Row().Scan(&personID, &accountID); err != nil {
			return fmt.Errorf("identity: person: %w", err)
		}
		var previous int64
		if err := tx.Raw(`SELECT person_id FROM visitor_links WHERE tenant_id = ? AND visitor_id = ?`, tenantID, visitorID).Scan(&previous).Error; err != nil {
			return fmt.Errorf("identity: visitor: %w", err)
		}
		if previous != personID {
			if err := tx.Exec(`
				INSERT INTO visitor_links (tenant_id, visitor_id, person_id) VALUES (?, ?, ?)
				ON CONFLICT (tenant_id, visitor_id) DO UPDATE SET person_id = EXCLUDED.person_id, linked_at = now()`,
				tenantID, visitorID, personID).Error; err != nil {
				return fmt.Errorf("identity: link visitor: %w", err)
			}
			if err := tx.Exec(`
				INSERT INTO identity_backfills (tenant_id, tenant_slug, visitor_id, person_id, account_id)
				VALUES (?, ?, ?, ?, ?)`, tenantID, tenantSlug, visitorID, personID, accountID).Error; err != nil {
				return fmt.Errorf("identity: queue backfill: %w", err)
			}
		}
		id = Identity{PersonID: strconv.FormatInt(personID, 10), AccountID: idString(accountID)}
		return nil
	})
	return id, err
}

func idString(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// Lookup returns the identities of the given visitors that are linked to a person.
func (s *Service) Lookup(ctx context.Context, tenantID int64, visitorIDs []string) (map[string]Identity, error) {
	ctx = db.WithTenant(ctx, tenantID)
	out := make(map[string]Identity, len(visitorIDs))
	if len(visitorIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT v.visitor_id, v.person_id, p.account_id
		FROM visitor_links v JOIN people p ON p.id = v.person_id
		WHERE v.tenant_id = ? AND v.visitor_id IN ?`, tenantID, visitorIDs).Rows()
	if err != nil {
		return nil, fmt.Errorf("identity: lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var visitor string
		var person int64
		var account *int64
		if err := rows.Scan(&visitor, &person, &account); err != nil {
			return nil, fmt.Errorf("identity: lookup: %w", err)
		}
		out[visitor] = Identity{PersonID: strconv.FormatInt(person, 10), AccountID: idString(account)}
	}
	return out, rows.Err()
}

// Backfill runs due touchpoint updates, at most limit of them, and returns how many
// it completed. A failed update is retried later with backoff.
func (s *Service) Backfill(ctx context.Context, limit int) (int, error) {
	type due struct {
		ID         int64
		TenantSlug string
		VisitorID  string
		PersonID   int64
		AccountID  *int64
		Pass       int
		Attempts   int
	}
	ctx = db.WithSystem(ctx) // the queue holds every tenant's visitors
	var list []due
	if err := s.db.WithContext(ctx).Raw(`
		SELECT id, tenant_slug, visitor_id, person_id, account_id, pass, attempts
		FROM identity_backfills WHERE run_after <= now() ORDER BY run_after LIMIT ?`, limit).Scan(&list).Error; err != nil {
		return 0, fmt.Errorf("identity: backfill: %w", err)
	}
	done := 0
	var failures []error
	for _, d := range list {
		_, err := s.updater.SetVisitorIdentity(ctx, d.TenantSlug, d.VisitorID, strconv.FormatInt(d.PersonID, 10), idString(d.AccountID))
		var book *gorm.DB
		switch {
		case err != nil:
			backoff := time.Duration(1<<min(d.Attempts, 10)) * 5 * time.Second
			book = s.db.WithContext(ctx).Exec(`UPDATE identity_backfills SET attempts = attempts + 1, last_error = ?, run_after = now() + ? * interval '1 second' WHERE id = ?`,
				err.Error(), backoff.Seconds(), d.ID)
			failures = append(failures, err)
		case d.Pass == 1:
			book = s.db.WithContext(ctx).Exec(`UPDATE identity_backfills SET pass = 2, attempts = 0, last_error = '', run_after = now() + ? * interval '1 second' WHERE id = ?`,
				s.delay.Seconds(), d.ID)
			done++
		default:
			book = s.db.WithContext(ctx).Exec(`DELETE FROM identity_backfills WHERE id = ?`, d.ID)
			done++
		}
		// A lost bookkeeping write only makes the (idempotent) update run again, but
		// it must not go unnoticed.
		if book.Error != nil {
			failures = append(failures, fmt.Errorf("identity: backfill %d bookkeeping: %w", d.ID, book.Error))
		}
	}
	if len(failures) > 0 {
		return done, fmt.Errorf("identity: %d backfill(s) failed, first: %w", len(failures), errors.Join(failures[0]))
	}
	return done, nil
}
