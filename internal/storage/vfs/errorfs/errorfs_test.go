package errorfs

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

func TestInject(t *testing.T) {
	fs := Wrap(vfs.Default)
	path := filepath.Join(t.TempDir(), "f")
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs.Inject(func(op Op, p string) error {
		if op == OpWrite && p == path {
			return ErrInjected
		}
		return nil
	})
	n, err := f.WriteAt([]byte("abcd"), 0)
	if !errors.Is(err, ErrInjected) || n != 2 {
		t.Fatalf("WriteAt under a fault = %d, %v; want 2 bytes written and ErrInjected", n, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("Sync, not injected: %v", err)
	}
	fs.Inject(nil)
	if _, err := f.WriteAt([]byte("abcd"), 0); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "abcd" || fs.BytesRead() != 4 {
		t.Fatalf("ReadAt = %q, %v; BytesRead %d", b, err, fs.BytesRead())
	}
}
