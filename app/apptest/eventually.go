package apptest

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, failing the test after a minute. It waits for
// the system to reach a state (another instance catching up, a background job) and
// asserts nothing about how fast.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
