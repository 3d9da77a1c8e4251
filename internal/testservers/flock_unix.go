//go:build unix

package testservers

import (
	"os"
	"syscall"
)

// flock blocks until it holds an exclusive lock on f.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}
