//go:build !unix

package vfs

import (
	"io"
	"os"
)

// lock only creates the file: advisory locks are implemented for unix.
func lock(name string) (io.Closer, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
}
