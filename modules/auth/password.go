package auth

import (
	"fmt"
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
	// a wrong email takes as long as a wrong password.
	dummy string
}

func newHasher(cfg config.Argon2) (*hasher, error) {
	h := &hasher{params: &argon2id.Params{
		Memory:      uint32(cfg.Memory),
		Iterations:  uint32(cfg.Iterations),
		Parallelism: uint8(cfg.Parallelism),
		SaltLength:  16,
		KeyLength:   32,
	}}
	dummy, err := argon2id.CreateHash(randomToken(), h.params)
	if err != nil {
		return nil, fmt.Errorf("auth: argon2id: %w", err)
	}
	h.dummy = dummy
	return h, nil
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
	if hash == "" {
		_, _, _ = argon2id.CheckHash(password, h.dummy)
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
