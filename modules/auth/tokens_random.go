package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

// randomToken returns 256 random bits, base64url-encoded (43 characters).
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenLength is the length of randomToken's result.
const tokenLength = 43

// tokenHash is what the database stores of a session, challenge or API token: they are
// random 256-bit values, so one SHA-256 is enough to make a stolen table useless.
func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// randomCode returns a uniformly random 6-digit code.
func randomCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(fmt.Sprintf("auth: crypto/rand: %v", err))
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// codeHash is what the database stores of a login code: an HMAC under a server key, bound
// to the challenge, so the million possible codes cannot be tried against a stolen row.
func codeHash(key []byte, challengeToken, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(challengeToken))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

func hmacEqual(a, b []byte) bool { return hmac.Equal(a, b) }
