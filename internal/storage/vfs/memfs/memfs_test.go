package memfs

import (
	"math/rand/v2"
	"testing"
)

func TestCrash(t *testing.T) {
	fs := New()
	if err := fs.MkdirAll("/a/b"); err != nil {
		t.Fatal(err)
	}
	synced, _ := fs.Create("/a/b/synced")
	synced.WriteAt([]byte("durable"), 0)
	synced.Sync()
	synced.WriteAt([]byte("+more"), 7)
	unsynced, _ := fs.Create("/a/b/unsynced")
	unsynced.WriteAt([]byte("lost"), 0)
	unsynced.Sync()
	for _, d := range []string{"/", "/a", "/a/b"} {
		fs.SyncDir(d)
	}
	late, _ := fs.Create("/a/b/late") // its directory entry is never synced
	late.Sync()
	fs.Remove("/a/b/unsynced") // nor is this removal

	c := fs.Crash(nil)
	if b, err := c.ReadFile("/a/b/synced"); err != nil || string(b) != "durable" {
		t.Errorf("synced file after crash = %q, %v; want the synced content", b, err)
	}
	if b, err := c.ReadFile("/a/b/unsynced"); err != nil || string(b) != "lost" {
		t.Errorf("removed file after crash = %q, %v; want it back", b, err)
	}
	if _, err := c.ReadFile("/a/b/late"); err == nil {
		t.Error("file created in an unsynced directory survived the crash")
	}
	names, _ := c.ReadDir("/a/b")
	if len(names) != 2 {
		t.Errorf("entries after crash: %v", names)
	}

	torn := fs.Crash(rand.New(rand.NewPCG(1, 1)))
	b, _ := torn.ReadFile("/a/b/synced")
	if len(b) < 7 || string(b[:7]) != "durable" || string(b[7:]) != "+more"[:len(b)-7] {
		t.Errorf("torn file after crash = %q, want the synced content and a prefix of the rest", b)
	}
}
