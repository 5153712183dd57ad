package vfs

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestOS(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b", "a", "c"} {
		f, err := Default.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte(name+name), 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if n, err := f.Size(); err != nil || n != 2 {
			t.Fatalf("Size = %d, %v", n, err)
		}
		f.Close()
	}
	if err := Default.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	names, err := Default.ReadDir(dir)
	if err != nil || !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Fatalf("ReadDir = %v, %v", names, err)
	}
}

func TestLockExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	l, err := Default.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if l2, err := Default.Lock(path); err == nil {
		l2.Close()
		t.Fatal("a second Lock of a held lock succeeded")
	}
	l.Close()
	l3, err := Default.Lock(path)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	l3.Close()
}
