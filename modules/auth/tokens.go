package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// TokenPrefix starts every API token, so that a leaked one is easy to recognise.
const TokenPrefix = "srg_"

// MaxTokenName is the longest token name.
const MaxTokenName = 100

// roleRank orders the roles; a token's role may not rank above its creator's.
var roleRank = map[string]int{"viewer": 1, "analyst": 2, "marketer": 3, "admin": 4, "owner": 5}

// ErrBadToken is an API token that is unknown, malformed or revoked.
var ErrBadToken = errors.New("auth: the API token is not valid")

// Token is an API token as listed: never its secret.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// NewToken is a token just created, with its secret, shown this once.
type NewToken struct {
	Token
	Secret string `json:"token"`
}

// TokenHolder is what an API token authenticates as.
type TokenHolder struct {
	TokenID  int64
	TenantID int64
	Role     string
	// UserID and Email are the token's creator.
	UserID int64
	Email  string
}

// CreateToken makes an API token for a tenant with a role no higher than creatorRole,
// the creator's own role in that tenant.
func (s *Service) CreateToken(ctx context.Context, tenantID, creatorID int64, creatorRole, name, role string, cl Client) (NewToken, error) {
	ctx = db.WithTenant(ctx, tenantID)
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return NewToken{}, errs.Invalid("name", "name the token (what uses it)")
	case utf8.RuneCountInString(name) > MaxTokenName:
		return NewToken{}, errs.Invalid("name", "the name is too long (at most %d characters)", MaxTokenName)
	case roleRank[role] == 0:
		return NewToken{}, errs.Invalid("role", "role must be one of %s", strings.Join(config.Roles, ", "))
	case roleRank[role] > roleRank[creatorRole]:
		return NewToken{}, errs.Forbidden("a token's role may not be above your own (%s)", creatorRole)
	}
	secret := TokenPrefix + randomToken()
	var out NewToken
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Raw(`INSERT INTO api_tokens (tenant_id, name, role, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
			RETURNING id, name, role, created_at`, tenantID, name, role, tokenHash(secret), creatorID, s.now()).Scan(&out.Token).Error
		if err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		if err := tx.Raw(`SELECT email FROM users WHERE id = ?`, creatorID).Scan(&out.CreatedBy).Error; err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actorUser(creatorID), Action: "token.created",
			Target: fmt.Sprintf("token:%d", out.ID), RemoteAddr: cl.IP, Details: map[string]any{"name": name, "role": role}})
	})
	if err != nil {
		return NewToken{}, err
	}
	out.Secret = secret
	return out, nil
}

// Tokens lists a tenant's tokens, revoked ones included, newest first.
func (s *Service) Tokens(ctx context.Context, tenantID int64) ([]Token, error) {
	ctx = db.WithTenant(ctx, tenantID)
	out := []Token{}
	err := s.db.WithContext(ctx).Raw(`SELECT t.id, t.name, t.role, u.email AS created_by, t.created_at, t.last_used_at, t.revoked_at
		FROM api_tokens t JOIN users u ON u.id = t.created_by WHERE t.tenant_id = ? ORDER BY t.id DESC`, tenantID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes a tenant's token; a token of another tenant is not found.
// Revoking a revoked token changes nothing.
func (s *Service) RevokeToken(ctx context.Context, tenantID, tokenID int64, actor string, cl Client) error {
	ctx = db.WithTenant(ctx, tenantID)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var found []struct{ Revoked bool }
		err := tx.Raw(`SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE id = ? AND tenant_id = ? FOR UPDATE`, tokenID, tenantID).Scan(&found).Error
		if err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		if len(found) == 0 {
			return errs.NotFound("no token %d in this tenant", tokenID)
		}
		if found[0].Revoked {
			return nil
		}
		if err := tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, s.now(), tokenID).Error; err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor, Action: "token.revoked",
			Target: fmt.Sprintf("token:%d", tokenID), RemoteAddr: cl.IP})
	})
}

// AuthenticateToken finds the live token with this secret; ErrBadToken otherwise.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (TokenHolder, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+tokenLength {
		return TokenHolder{}, ErrBadToken
	}
	var rows []struct {
		TokenHolder
		LastUsedAt *time.Time
		Revoked    bool
	}
	// The token names its tenant: it is found across them.
	err := s.db.WithContext(db.WithSystem(ctx)).Raw(`SELECT t.id AS token_id, t.tenant_id, t.role, t.created_by AS user_id, u.email,
			t.last_used_at, t.revoked_at IS NOT NULL AS revoked
		FROM api_tokens t JOIN users u ON u.id = t.created_by WHERE t.token_hash = ?`, tokenHash(secret)).Scan(&rows).Error
	if err != nil {
		return TokenHolder{}, fmt.Errorf("auth: find token: %w", err)
	}
	if len(rows) == 0 || rows[0].Revoked {
		return TokenHolder{}, ErrBadToken
	}
	r := rows[0]
	now := s.now()
	if r.LastUsedAt == nil || now.Sub(*r.LastUsedAt) >= touchEvery {
		if err := s.db.WithContext(db.WithTenant(ctx, r.TenantID)).Exec(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, r.TokenID).Error; err != nil {
			return TokenHolder{}, fmt.Errorf("auth: token last used: %w", err)
		}
	}
	return r.TokenHolder, nil
}
