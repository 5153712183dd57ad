package fanout

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

	"github.com/runnel-dev/runnel/internal/testserver"
)

// TestJavaScriptSDK runs the scenario with @aws-sdk/client-kinesis, whose
// Kinesis client sends every request, SubscribeToShard included, through
// NodeHttp2Handler: HTTP/2 with prior knowledge on an http:// endpoint and
// h2 by ALPN on https://. Applications that pass NodeHttpHandler get
// HTTP/1.1 with a chunked body.
func TestJavaScriptSDK(t *testing.T) {
	t.Parallel()
	modules := jsModules(t)
	certs := newTLSFiles(t)
	tests := []struct {
		name, handler string
		tls           bool
		proto         string
	}{
		{"default-h2c", "default", false, "h2c"},
		{"default-h2-tls", "default", true, "h2"},
		{"NodeHttpHandler", "http1", false, "http/1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testserver.Options{Heartbeat: scenarioHeartbeat}
			if tt.tls {
				opts.TLSCert, opts.TLSKey = certs.cert, certs.key
			}
			fx := newFixture(t, opts)
			d := startJS(t, modules, fx.srv.URL, tt.handler, certs.cert)
			runScenario(t, fx, d, tt.proto)
		})
	}
}

// startJS runs testdata/js/subscribe.mjs against endpoint with the
// installed modules; the client trusts caFile.
func startJS(t *testing.T, modules, endpoint, handler, caFile string) *driver {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to test the JavaScript SDK: %v", err)
	}
	// Node resolves imports from the script's own directory: put a copy
	// of it beside a link to the installed node_modules.
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join("testdata", "js", "subscribe.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "subscribe.mjs"), script, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(modules, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	env := clientEnv(t, "NODE_EXTRA_CA_CERTS="+caFile)
	return startDriver(t, "subscribe.mjs", env, node, filepath.Join(dir, "subscribe.mjs"), endpoint, handler)
}

// jsInstall is the one installation of testdata/js's dependencies per test
// process.
var jsInstall struct {
	once sync.Once
	dir  string
	err  error
}

// jsModules returns a directory whose node_modules holds exactly what
// testdata/js/package-lock.json locks, installing it with `npm ci` on
// first use. Installations live in the user's cache directory, one per
// lock file content, so a clean clone installs once and a changed lock
// file installs afresh; concurrent test processes each install into a
// directory of their own and the first to finish publishes it by rename.
func jsModules(t *testing.T) string {
	t.Helper()
	jsInstall.once.Do(func() { jsInstall.dir, jsInstall.err = installJS() })
	if jsInstall.err != nil {
		t.Fatalf("install the JavaScript SDK: %v", jsInstall.err)
	}
	return jsInstall.dir
}

func installJS() (string, error) {
	src := filepath.Join("testdata", "js")
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
	root = filepath.Join(root, "runnel", "fanout-js")
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
	for name, content := range map[string][]byte{"package.json": manifest, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), content, 0o644); err != nil {
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
