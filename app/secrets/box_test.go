package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

func newKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

func TestRoundTrip(t *testing.T) {
	box, err := New(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range [][]byte{nil, []byte("x"), []byte("pat-na1-0123456789abcdef"), bytes.Repeat([]byte{0xff}, 4096)} {
		sealed, err := box.Seal(plain, []byte("connector:1"))
		if err != nil {
			t.Fatal(err)
		}
		// A byte or two turns up in random ciphertext by chance; longer text must not.
		if len(plain) >= 8 && bytes.Contains(sealed, plain) {
			t.Fatal("sealed value contains the plaintext")
		}
		got, err := box.Open(sealed, []byte("connector:1"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("round trip: got %q want %q", got, plain)
		}
	}
}

func TestSealIsRandomised(t *testing.T) {
	box, _ := New(newKey(t))
	a, _ := box.Seal([]byte("same"), nil)
	b, _ := box.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical: nonce reused")
	}
}

func TestTamperDetection(t *testing.T) {
	box, _ := New(newKey(t))
	other, _ := New(newKey(t))
	sealed, _ := box.Seal([]byte("refresh-token"), []byte("connector:1"))
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name       string
		box        *Box
		sealed     []byte
		associated string
	}{
		{"flipped version", box, flip(0), "connector:1"},
		{"flipped nonce", box, flip(3), "connector:1"},
		{"flipped ciphertext", box, flip(len(sealed) - 20), "connector:1"},
		{"flipped tag", box, flip(len(sealed) - 1), "connector:1"},
		{"truncated", box, sealed[:len(sealed)-1], "connector:1"},
		{"empty", box, nil, "connector:1"},
		{"other associated data", box, sealed, "connector:2"},
		{"other key", other, sealed, "connector:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.box.Open(tt.sealed, []byte(tt.associated)); !errors.Is(err, ErrTampered) {
				t.Fatalf("want ErrTampered, got %v", err)
			}
		})
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	for _, k := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		if _, err := New(k); err == nil {
			t.Errorf("New(%q) accepted a bad key", k)
		}
	}
}
