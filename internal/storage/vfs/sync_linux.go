package vfs

import (
	"os"
	"syscall"
)

// datasync is fdatasync(2): it skips metadata (such as mtime) that is not
// needed to read the data back, which saves a journal commit.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
