// Package crash kills a real runnel server process with SIGKILL while
// writers are busy, restarts it on the same data directory, and checks,
// record by record, that every acknowledged record survived, in order, with
// the sequence number the writer was given, and that no sequence number is
// ever handed out twice.
package crash

import (
	"bufio"
	"context"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
)

var runnelBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runnel-crash")
	if err != nil {
		panic(err)
	}
	runnelBin = filepath.Join(dir, "runnel")
	out, err := exec.Command("go", "build", "-o", runnelBin, "github.com/runnel-dev/runnel/cmd/runnel").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building runnel: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a runnel process.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *strings.Builder
}

// start runs runnel serve on dataDir and waits until it listens.
func start(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "--addr", addr, "--data-dir", dataDir, "--log-level", "debug"}, extra...)
	cmd := exec.Command(runnelBin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addr: addr, logs: &strings.Builder{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			s.logs.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "runnel listening") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("runnel did not start")
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return s
}

// client returns an aws-sdk-go-v2 client for the server, with retries off
// and testserver's workaround for the SDK's request-body race.
func (s *server) client() *kinesis.Client {
	return testserver.NewClient("http://" + s.addr)
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	s.cmd.Wait()
}

// acked is a record whose write the server acknowledged.
type acked struct {
	shard, seq, data string
}

func TestKillUnderLoadLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, dir)
	c := srv.client()
	ctx := context.Background()
	const stream = "crash"
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}

	// Writers put batches until the server dies, remembering what was
	// acknowledged.
	var mu sync.Mutex
	var ack []acked
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				entries := make([]types.PutRecordsRequestEntry, 50)
				for i := range entries {
					entries[i] = types.PutRecordsRequestEntry{
						PartitionKey: aws.String(fmt.Sprintf("w%d-%d", w, i)),
						Data:         []byte(fmt.Sprintf("writer %d batch %d entry %d %s", w, n, i, strings.Repeat("x", i*7))),
					}
				}
				out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				for i, r := range out.Records {
					if r.ErrorCode == nil {
						ack = append(ack, acked{*r.ShardId, *r.SequenceNumber, string(entries[i].Data)})
					}
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	srv.kill(t)
	close(stop)
	wg.Wait()
	if len(ack) < 100 {
		t.Fatalf("only %d records acknowledged before the kill; the test proves nothing", len(ack))
	}

	srv = start(t, dir)
	c = srv.client()
	stored := readAll(t, c, stream)
	checkSurvivors(t, ack, stored)

	// New records continue above everything stored: no sequence number is
	// reused.
	for shard, recs := range stored {
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String("after"),
			ExplicitHashKey: aws.String(hashKeyIn(t, c, stream, shard)), Data: []byte("after restart")})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 && cmpSeq(*out.SequenceNumber, recs[len(recs)-1].seq) <= 0 {
			t.Errorf("%s: new sequence number %s not above the last stored %s", shard, *out.SequenceNumber, recs[len(recs)-1].seq)
		}
	}
	t.Logf("%d records acknowledged before SIGKILL; all present after restart", len(ack))
}

// readAll reads every shard from TRIM_HORIZON to the tip.
func readAll(t *testing.T, c *kinesis.Client, stream string) map[string][]acked {
	t.Helper()
	ctx := context.Background()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]acked{}
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId,
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			res, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Records {
				out[*sh.ShardId] = append(out[*sh.ShardId], acked{*sh.ShardId, *r.SequenceNumber, string(r.Data)})
			}
			if len(res.Records) == 0 {
				break
			}
			iter = res.NextShardIterator
		}
	}
	return out
}

// checkSurvivors checks that every acknowledged record is stored with its
// sequence number and data, and that each shard's sequence numbers strictly
// increase.
func checkSurvivors(t *testing.T, ack []acked, stored map[string][]acked) {
	t.Helper()
	bySeq := map[string]acked{}
	for shard, recs := range stored {
		for i, r := range recs {
			if i > 0 && cmpSeq(recs[i-1].seq, r.seq) >= 0 {
				t.Fatalf("%s: sequence numbers out of order at %d: %s then %s", shard, i, recs[i-1].seq, r.seq)
			}
			if _, dup := bySeq[r.seq]; dup {
				t.Fatalf("sequence number %s stored twice", r.seq)
			}
			bySeq[r.seq] = r
		}
	}
	for _, a := range ack {
		got, ok := bySeq[a.seq]
		switch {
		case !ok:
			t.Errorf("acknowledged record %s on %s lost", a.seq, a.shard)
		case got.shard != a.shard || got.data != a.data:
			t.Errorf("record %s: stored (%s, %q), acknowledged (%s, %q)", a.seq, got.shard, got.data, a.shard, a.data)
		}
	}
}

func cmpSeq(a, b string) int {
	x, _ := new(big.Int).SetString(a, 10)
	y, _ := new(big.Int).SetString(b, 10)
	return x.Cmp(y)
}

// hashKeyIn returns the starting hash key of a shard, to route a record there.
func hashKeyIn(t *testing.T, c *kinesis.Client, stream, shard string) string {
	t.Helper()
	out, err := c.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range out.Shards {
		if *sh.ShardId == shard {
			return *sh.HashKeyRange.StartingHashKey
		}
	}
	t.Fatalf("no shard %s", shard)
	return ""
}
