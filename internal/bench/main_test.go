package bench

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/testserver"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    func(Config) bool
		json    bool
		wantErr string
	}{
		{"defaults", "put-records", func(c Config) bool {
			return c.Mode == ModePutRecords && c.Stream == DefaultStream && c.BatchSize == DefaultBatchSize &&
				c.Duration == DefaultDuration && c.PartitionKeys == 0 && !c.SkipFill && !c.Create
		}, false, ""},
		{"all flags", "get-records --endpoint http://127.0.0.1:4568 --region eu-west-1 --stream s --create --delete " +
			"--shards 8 --record-size 100 --batch-size 250 --concurrency 16 --duration 3s --records 1000 --fill=false " +
			"--rate 500 --partition-keys 7 --read-limit 100 --poll-interval 5ms --consumers 3 --json", func(c Config) bool {
			return c == Config{Mode: ModeGetRecords, Endpoint: "http://127.0.0.1:4568", Region: "eu-west-1", Stream: "s",
				Create: true, Delete: true, Shards: 8, RecordSize: 100, BatchSize: 250, Concurrency: 16,
				Duration: 3 * time.Second, Records: 1000, SkipFill: true, Rate: 500, PartitionKeys: 7,
				ReadLimit: 100, PollInterval: 5 * time.Millisecond, Consumers: 3}
		}, true, ""},
		{"mode after flags", "--shards 2 mixed --json", func(c Config) bool { return c.Mode == ModeMixed && c.Shards == 2 }, true, ""},
		{"no mode", "--shards 2", nil, false, "missing mode"},
		{"unknown mode", "fan-out", nil, false, `unknown mode "fan-out"`},
		{"fanout", "fanout --consumers 20 --batch-size 1", func(c Config) bool {
			return c.Mode == ModeFanout && c.Consumers == 20 && c.BatchSize == 1
		}, false, ""},
		{"negative consumers", "fanout --consumers -1", nil, false, "consumers must be"},
		{"too many consumers", "fanout --consumers 21", nil, false, "consumers must be"},
		{"fanout record too small", "fanout --record-size 15", nil, false, "fanout mode needs records"},
		{"extra argument", "put-record extra", nil, false, `unexpected argument "extra"`},
		{"bad partition keys", "put-record --partition-keys some", nil, false, "partition keys"},
		{"zero partition keys", "put-record --partition-keys 0", nil, false, "partition keys"},
		{"batch too large", "put-records --batch-size 501", nil, false, "batch size"},
		{"unknown flag", "put-records --bogus", nil, false, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := parseArgs(strings.Fields(tt.args), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseArgs = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(cmd.cfg) || cmd.asJSON != tt.json {
				t.Errorf("parseArgs = %+v, json %v", cmd.cfg, cmd.asJSON)
			}
		})
	}
}

func TestParseArgsHelp(t *testing.T) {
	var out strings.Builder
	_, err := parseArgs([]string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "usage: runnel bench <mode>") {
		t.Errorf("parseArgs(-h) = %v, printed %q", err, out.String())
	}
}

func TestMainExitCodes(t *testing.T) {
	endpoint := startEndpoint(t)
	tests := []struct {
		name     string
		args     []string
		exit     int
		stdout   string
		stderr   string
		jsonMode Mode
	}{
		{"text", []string{"put-record", "--endpoint", endpoint, "--create", "--duration", "50ms"}, exitOK, "put: PutRecord for", "creating stream", ""},
		{"json", []string{"put-records", "--endpoint", endpoint, "--create", "--duration", "50ms", "--json"}, exitOK, "", "", ModePutRecords},
		{"usage", []string{"put-records", "--batch-size", "501"}, exitUsage, "", "batch size", ""},
		{"help", []string{"--help"}, exitOK, "", "usage:", ""},
		{"unreachable", []string{"put-records", "--endpoint", "http://127.0.0.1:1", "--duration", "50ms"}, exitError, "", "describe stream", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if exit := Main(t.Context(), tt.args, &stdout, &stderr); exit != tt.exit {
				t.Fatalf("exit = %d, want %d; stderr:\n%s", exit, tt.exit, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant %q and %q", stdout.String(), stderr.String(), tt.stdout, tt.stderr)
			}
			if tt.jsonMode != "" {
				var r Report
				if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil || r.Mode != tt.jsonMode || r.Phases[0].Records == 0 {
					t.Errorf("JSON report %+v, %v:\n%s", r, err, stdout.String())
				}
			}
		})
	}
}

// The command line end to end: a fanout run against the real server, with
// the tool's CPU profile written.
func TestMainFanoutWritesReportAndProfile(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	profile := filepath.Join(t.TempDir(), "cpu.pprof")
	args := []string{"fanout", "--endpoint", srv.URL, "--create", "--delete", "--shards", "1", "--consumers", "2",
		"--batch-size", "1", "--rate", "500", "--duration", "200ms", "--cpuprofile", profile}
	var stdout, stderr strings.Builder
	if exit := Main(t.Context(), args, &stdout, &stderr); exit != exitOK {
		t.Fatalf("exit = %d; stderr:\n%s", exit, stderr.String())
	}
	for _, want := range []string{"deliver: SubscribeToShard for", "end2end   p50", "missing 0; duplicates 0", "consumer  runnel-bench-1:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	data, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b { // pprof profiles are gzipped
		t.Errorf("CPU profile of %d bytes is not a pprof profile", len(data))
	}
}
