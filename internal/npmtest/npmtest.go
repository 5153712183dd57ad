// Package npmtest installs the npm packages that tests run against code no
// one on the team wrote (the AWS SDK for JavaScript, aws-kinesis-agg, ...).
//
// A test keeps a package.json and package-lock.json (exact versions) in a
// testdata directory; Modules installs them with `npm ci` into the user's
// cache directory, one installation per lock-file content, so a clean clone
// installs once and a changed lock file installs afresh. Concurrent test
// processes each install into a directory of their own and the first to
// finish publishes it by rename.
package npmtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// installs memoizes Modules per source directory within a test process.
var installs struct {
	mu   sync.Mutex
	done map[string]*install
}

type install struct {
	once sync.Once
	dir  string
	err  error
}

// Modules returns a directory whose node_modules holds exactly what
// src/package-lock.json locks, installing it on first use; name labels the
// cache directory. It fails the test if npm fails.
func Modules(t testing.TB, src, name string) string {
	t.Helper()
	installs.mu.Lock()
	if installs.done == nil {
		installs.done = map[string]*install{}
	}
	in := installs.done[src]
	if in == nil {
		in = &install{}
		installs.done[src] = in
	}
	installs.mu.Unlock()
	in.once.Do(func() { in.dir, in.err = installModules(src, name) })
	if in.err != nil {
		t.Fatalf("npmtest: install %s: %v", src, in.err)
	}
	return in.dir
}

func installModules(src, name string) (string, error) {
	manifest, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		return "", err
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(append(manifest, 0), lock...))
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	root = filepath.Join(root, "runnel", name)
	dir := filepath.Join(root, hex.EncodeToString(sum[:8]))
	// npm writes node_modules/.package-lock.json last, once all is in place.
	installed := filepath.Join(dir, "node_modules", ".package-lock.json")
	if _, err := os.Stat(installed); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, "install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for file, content := range map[string][]byte{"package.json": manifest, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, file), content, 0o644); err != nil {
			return "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	npm := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	npm.Dir = tmp
	if out, err := npm.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci: %w\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(installed); statErr == nil {
			return dir, nil // another process installed the same lock file first
		}
		return "", err
	}
	return dir, nil
}
