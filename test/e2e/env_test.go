package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Credentials the external clients sign with; runnel accepts any.
const (
	accessKeyID     = "AKIDE2ETEST"
	secretAccessKey = "e2e-secret"
	region          = "us-east-1"
)

// clientEnv returns the environment for an AWS client process: the test
// process's environment without anything that configures AWS clients, and
// with HOME, the config and credentials files and the credentials pointing
// at values of the test's own, so that the machine's AWS setup cannot leak
// in. extra entries ("KEY=value") are appended.
func clientEnv(t *testing.T, config string, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	configFile := filepath.Join(home, "config")
	credentialsFile := filepath.Join(home, "credentials")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credentialsFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || name == "HOME" || name == "TZ" || name == "PYTHONPATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home,
		"TZ=UTC",
		"AWS_CONFIG_FILE="+configFile,
		"AWS_SHARED_CREDENTIALS_FILE="+credentialsFile,
		"AWS_ACCESS_KEY_ID="+accessKeyID,
		"AWS_SECRET_ACCESS_KEY="+secretAccessKey,
		"AWS_DEFAULT_REGION="+region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		// One attempt: an error must reach the test, not be retried away.
		"AWS_RETRY_MODE=standard",
		"AWS_MAX_ATTEMPTS=1",
	)
	return append(env, extra...)
}

// lookPath finds a client program the end-to-end tests need. These
// machines ship them (.ci/run installs them where missing), so a missing
// one fails the test rather than skipping it.
func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed by the end-to-end tests: %v", name, err)
	}
	return p
}
