package bench

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// deviceOf is the "major:minor" of the block device holding dir.
func deviceOf(dir string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)), nil
}
