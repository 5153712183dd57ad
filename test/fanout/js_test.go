package fanout

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/runnel-dev/runnel/internal/npmtest"
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
	certs := testserver.SelfSignedCert(t)
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
				opts.TLSCert, opts.TLSKey = certs.CertFile, certs.KeyFile
			}
			fx := newFixture(t, opts)
			d := startJS(t, modules, fx.srv.URL, tt.handler, certs.CertFile)
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

// jsModules returns a directory whose node_modules holds the JavaScript SDK
// testdata/js locks.
func jsModules(t *testing.T) string {
	return npmtest.Modules(t, filepath.Join("testdata", "js"), "fanout-js")
}
