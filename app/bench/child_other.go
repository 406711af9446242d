//go:build !linux

package bench

import "syscall"

// childAttr: only Linux can tie the server's life to the bench's.
func childAttr() *syscall.SysProcAttr { return nil }
