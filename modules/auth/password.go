package auth

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
)

// Password length limits: a new password has at least MinPasswordLength characters;
// no password (new or typed at sign-in) may exceed MaxPasswordLength, which also
// bounds the work one request can ask of the hash.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// hasher hashes and checks passwords with argon2id.
type hasher struct {
	params *argon2id.Params
	// dummy is a hash of a random password, checked when the account is unknown so that
	// a wrong email takes as long as a wrong password. It is made at the first check,
	// not at start: every srg command builds a hasher, and making it costs a core
	// half a second and the hash's memory (64 MiB by default), which a command that
	// checks no password (recompute, sync, or a server before its first sign-in)
	// should not pay.
	dummyOnce sync.Once
	dummy     string
	dummyErr  error
}

func newHasher(cfg config.Argon2) *hasher {
	return &hasher{params: &argon2id.Params{
		Memory:      uint32(cfg.Memory),
		Iterations:  uint32(cfg.Iterations),
		Parallelism: uint8(cfg.Parallelism),
		SaltLength:  16,
		KeyLength:   32,
	}}
}

func (h *hasher) dummyHash() (string, error) {
	h.dummyOnce.Do(func() {
		h.dummy, h.dummyErr = argon2id.CreateHash(randomToken(), h.params)
		if h.dummyErr != nil {
			h.dummyErr = fmt.Errorf("auth: argon2id: %w", h.dummyErr)
		}
	})
	return h.dummy, h.dummyErr
}

func (h *hasher) hash(password string) (string, error) {
	out, err := argon2id.CreateHash(password, h.params)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return out, nil
}

// check compares password with hash in constant time; an empty hash (unknown user, or
// a user without a password) is checked against the dummy and never matches. stale
// reports a match whose hash uses other parameters than the configured ones.
func (h *hasher) check(password, hash string) (ok, stale bool, err error) {
	// Made before either branch, so the first check takes as long for a known account
	// as for an unknown one.
	dummy, err := h.dummyHash()
	if err != nil {
		return false, false, err
	}
	if hash == "" {
		_, _, _ = argon2id.CheckHash(password, dummy)
		return false, false, nil
	}
	ok, params, err := argon2id.CheckHash(password, hash)
	if err != nil {
		return false, false, fmt.Errorf("auth: stored password hash: %w", err)
	}
	return ok, ok && *params != *h.params, nil
}

// CheckNewPassword reports whether password may be set (its length).
func CheckNewPassword(password string) error { return validNewPassword("password", password) }

// validNewPassword checks a password being set.
func validNewPassword(field, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return errs.Invalid(field, "The password must have at least %d characters.", MinPasswordLength)
	case n > MaxPasswordLength:
		return errs.Invalid(field, "The password must have at most %d characters.", MaxPasswordLength)
	}
	return nil
}
