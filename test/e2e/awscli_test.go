package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// cliConfig is the AWS CLI config file of the tests. raw-in-base64-out
// makes CLI v2 take blob arguments as raw text, as v1 always does, and
// iso8601 makes both print timestamps the same way.
const cliConfig = "[default]\n" +
	"region = us-east-1\n" +
	"output = json\n" +
	"cli_binary_format = raw-in-base64-out\n" +
	"cli_timestamp_format = iso8601\n"

// cliTimeout bounds one CLI run; the test waiters poll for at most 20 s.
const cliTimeout = 60 * time.Second

// cli runs the AWS CLI against one server.
type cli struct {
	t        *testing.T
	bin      string
	endpoint string
	env      []string
}

func newCLI(t *testing.T, endpoint string) *cli {
	t.Helper()
	// The waiters of testdata/botocore poll every second instead of every
	// ten (see its README).
	dataPath, err := filepath.Abs("testdata/botocore")
	if err != nil {
		t.Fatal(err)
	}
	return &cli{
		t:        t,
		bin:      lookPath(t, "aws"),
		endpoint: endpoint,
		env:      clientEnv(t, cliConfig, "AWS_DATA_PATH="+dataPath),
	}
}

// forTest returns a copy of c that reports to t, for parallel subtests.
func (c *cli) forTest(t *testing.T) *cli {
	d := *c
	d.t = t
	return &d
}

// cliResult is the outcome of one CLI run.
type cliResult struct {
	code           int // -1 if the command could not be waited for
	stdout, stderr string
}

// running is a CLI command started in the background.
type running struct {
	done   chan struct{} // closed when the command has exited
	result cliResult     // valid once done is closed
}

// start starts `aws --endpoint-url URL kinesis args...`. The test waits for
// it to exit before it ends; cliTimeout kills it at the latest.
func (c *cli) start(args ...string) *running {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--endpoint-url", c.endpoint, "kinesis"}, args...)...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		c.t.Fatalf("aws kinesis %s: %v", strings.Join(args, " "), err)
	}
	r := &running{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer cancel()
		err := cmd.Wait()
		r.result = cliResult{stdout: stdout.String(), stderr: stderr.String()}
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			r.result.code = exit.ExitCode()
		case err != nil:
			r.result.code = -1
			r.result.stderr += err.Error()
		}
	}()
	c.t.Cleanup(func() { <-r.done })
	return r
}

// run runs a CLI command to completion.
func (c *cli) run(args ...string) cliResult {
	c.t.Helper()
	r := c.start(args...)
	<-r.done
	return r.result
}

// ok runs a command that must succeed and decodes its JSON output into out
// (if out is not nil; otherwise the output must be empty).
func (c *cli) ok(out any, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("aws kinesis %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	if out == nil {
		if strings.TrimSpace(r.stdout) != "" {
			c.t.Fatalf("aws kinesis %s printed %q, want nothing", args[0], r.stdout)
		}
		return
	}
	if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
		c.t.Fatalf("aws kinesis %s: output %q: %v", args[0], r.stdout, err)
	}
}

// fail runs a command that the server must refuse with error code and
// message, and checks the CLI's exit code and its report on stderr.
func (c *cli) fail(code, message string, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if want := c.serviceErrorExit(); r.code != want {
		c.t.Errorf("aws kinesis %s: exit %d, want %d\nstderr: %s", args[0], r.code, want, r.stderr)
	}
	// With retries configured, botocore says how many it made.
	want := regexp.MustCompile("^" +
		regexp.QuoteMeta(fmt.Sprintf("An error occurred (%s) when calling the %s operation", code, operationName(args[0]))) +
		` ?(\(reached max retries: 0\))?: ` + regexp.QuoteMeta(message) + "$")
	if got := strings.TrimSpace(r.stderr); !want.MatchString(got) {
		c.t.Errorf("aws kinesis %s: stderr\n%s\ndoes not match\n%s", args[0], got, want)
	}
}

// operationName turns a CLI command name into its operation name:
// describe-stream-summary -> DescribeStreamSummary.
func operationName(command string) string {
	var b strings.Builder
	for _, part := range strings.Split(command, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// serviceErrorExit is the exit code with which the CLI reports an error
// answer from the service: 255 in v1, 254 in v2.
func (c *cli) serviceErrorExit() int {
	c.t.Helper()
	major, err := cliMajorVersion(c.bin, c.env)
	if err != nil {
		c.t.Fatal(err)
	}
	if major >= 2 {
		return 254
	}
	return 255
}

// The installed CLI's major version, found once per test binary.
var (
	cliVersionOnce sync.Once
	cliMajor       int
	cliVersionErr  error
)

func cliMajorVersion(bin string, env []string) (int, error) {
	cliVersionOnce.Do(func() {
		cmd := exec.Command(bin, "--version")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			cliVersionErr = fmt.Errorf("aws --version: %v: %s", err, out)
			return
		}
		m := regexp.MustCompile(`aws-cli/(\d+)\.`).FindSubmatch(out)
		if m == nil {
			cliVersionErr = fmt.Errorf("aws --version printed %q", out)
			return
		}
		cliMajor, _ = strconv.Atoi(string(m[1]))
	})
	return cliMajor, cliVersionErr
}

// waiterGrace is how long a waiter runs before the test lets its stream
// change state: long enough for the CLI to start and poll at least once.
const waiterGrace = 3 * time.Second

// waitAcross runs an `aws kinesis wait` command while the stream is in a
// transient state, checks that it is still waiting after waiterGrace,
// then advances the server's clock by d to end the state and checks that
// the waiter succeeds within a few of its one-second polls.
func (c *cli) waitAcross(clock *testserver.Clock, d time.Duration, args ...string) {
	c.t.Helper()
	w := c.start(args...)
	select {
	case <-w.done:
		c.t.Fatalf("aws kinesis %s returned before the stream changed state: exit %d\n%s",
			strings.Join(args, " "), w.result.code, w.result.stderr)
	case <-time.After(waiterGrace):
	}
	clock.Advance(d)
	select {
	case <-w.done:
		if r := w.result; r.code != 0 || r.stdout != "" {
			c.t.Fatalf("aws kinesis %s: exit %d, stdout %q\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	case <-time.After(15 * time.Second):
		c.t.Fatalf("aws kinesis %s still waiting 15 s after the stream changed state", strings.Join(args, " "))
	}
}
