//go:build !race

package csvimport_test

// raceEnabled scales down tests whose cost, not their outcome, the race detector
// multiplies.
const raceEnabled = false
