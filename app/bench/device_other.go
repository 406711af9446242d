//go:build !linux

package bench

// deviceOf: /proc/diskstats, which the disk meter reads, is Linux's.
func deviceOf(string) (string, error) { return "", errNoProc }
