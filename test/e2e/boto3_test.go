package e2e

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// TestBoto3 runs testdata/boto3_e2e.py, which drives the data and control
// planes through boto3 and asserts on every answer, against a server whose
// streams stay CREATING for 2 s (so that the stream_exists waiter waits)
// and whose shards are throttled (so that PutRecords can fail in part).
func TestBoto3(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{
		Stream:   stream.Config{CreateDelay: 2 * time.Second},
		Throttle: true,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lookPath(t, "python3"), "testdata/boto3_e2e.py", srv.URL)
	cmd.Env = clientEnv(t, "[default]\nregion = us-east-1\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3_e2e.py: %v\n%s", err, out)
	}
	t.Logf("boto3_e2e.py:\n%s", out)
}
