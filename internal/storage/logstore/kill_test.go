package logstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
)

// killHelperEnv names the directory a re-executed test binary appends to
// until it is killed: see TestMain.
const killHelperEnv = "LOGSTORE_KILL_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killHelperEnv); dir != "" {
		killHelper(dir, os.Getenv("LOGSTORE_KILL_HELPER_ROUND"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var killShards = []storage.ShardID{{Stream: 1, Index: 0}, {Stream: 1, Index: 1}, {Stream: 1, Index: 2}, {Stream: 2, Index: 0}}

func killOptions() Options {
	return Options{SegmentBytes: 64 << 10, WALSegmentBytes: 128 << 10, CheckpointBytes: 256 << 10, IndexInterval: 4 << 10}
}

// writerRecord is record seq of a helper writer: key and data derive from
// (writer, seq), and the data carries a CRC of the rest.
func writerRecord(writer string, seq, size int) storage.Record {
	key := fmt.Sprintf("%s-%d", writer, seq)
	data := make([]byte, size)
	for i := 4; i < size; i++ {
		data[i] = byte(seq*13 + i)
	}
	crc := crc32.ChecksumIEEE(append([]byte(key), data[4:]...))
	data[0], data[1], data[2], data[3] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	return storage.Record{Arrival: time.Now().UnixMilli(), PartitionKey: key, Data: data}
}

// killHelper appends from several writers until the process is killed,
// printing "ack <shard> <first index> <count> <writer> <first seq> <size>"
// after each acknowledged Append.
func killHelper(dir, round string) {
	e, err := Open(dir, killOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	for _, id := range killShards {
		if err := e.CreateShard(ctx, id); err != nil && !errors.Is(err, storage.ErrShardExists) {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(2)
		}
	}
	var out sync.Mutex
	for w := range 8 {
		go func() {
			writer := fmt.Sprintf("r%sw%d", round, w)
			for seq := 0; ; {
				shard := (w + seq) % len(killShards)
				n, size := 1+seq%5, 100+(seq*37)%900
				recs := make([]storage.Record, n)
				for i := range recs {
					recs[i] = writerRecord(writer, seq+i, size)
				}
				if err := e.Append(ctx, killShards[shard], recs); err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(2)
				}
				out.Lock() // one write per line: a pipe write this small is atomic
				fmt.Fprintf(os.Stdout, "ack %d %d %d %s %d %d\n", shard, recs[0].Index, n, writer, seq, size)
				out.Unlock()
				seq += n
			}
		}()
	}
	select {}
}

type ack struct {
	shard, first, count int
	writer              string
	seq, size           int
}

// runKillHelper starts a helper, lets it acknowledge at least minAcks
// appends, kills it with SIGKILL and returns every ack it printed.
func runKillHelper(t *testing.T, dir string, round, minAcks int) []ack {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+dir, fmt.Sprintf("LOGSTORE_KILL_HELPER_ROUND=%d", round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acks []ack
	killed := false
	timeout := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer timeout.Stop()
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		var a ack
		if _, err := fmt.Sscanf(scanner.Text(), "ack %d %d %d %s %d %d", &a.shard, &a.first, &a.count, &a.writer, &a.seq, &a.size); err != nil {
			t.Fatalf("helper printed %q: %v", scanner.Text(), err)
		}
		acks = append(acks, a)
		if len(acks) >= minAcks && !killed {
			cmd.Process.Kill() // SIGKILL, in the middle of the writers' appends
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("helper stopped after %d acks (%v); stderr:\n%s", len(acks), err, stderr.String())
	}
	return acks
}

// TestKill9 kills a process appending concurrently to several shards, then
// checks record by record that everything it acknowledged survived, in
// order, and that no index was given twice; three times over.
func TestKill9(t *testing.T) {
	dir := t.TempDir()
	var acks []ack
	for round := range 3 {
		acks = append(acks, runKillHelper(t, dir, round, 1500+round*500)...)
		e := openEngine(t, dir, killOptions())
		checkAcks(t, e, acks)
		for _, id := range killShards {
			info, _ := e.Info(ctx, id)
			t.Logf("round %d: shard %v holds %d records (%d acknowledged appends in all)", round, id, info.Next, len(acks))
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// checkAcks checks every acknowledged record, and that each shard's log is
// dense and made of intact helper records in each writer's order.
func checkAcks(t *testing.T, e storage.Engine, acks []ack) {
	t.Helper()
	logs := make([][]storage.Record, len(killShards))
	for i, id := range killShards {
		for from := uint64(0); ; {
			recs, err := e.Read(ctx, id, from, storage.ReadOptions{MaxRecords: 1000})
			if err != nil {
				t.Fatalf("Read(%v, %d): %v", id, from, err)
			}
			if len(recs) == 0 {
				break
			}
			logs[i] = append(logs[i], recs...)
			from = recs[len(recs)-1].Index + 1
		}
		lastSeq := map[string]int{}
		for n, r := range logs[i] {
			writer, seq, ok := strings.Cut(r.PartitionKey, "-")
			var s int
			if _, err := fmt.Sscan(seq, &s); !ok || err != nil || r.Index != uint64(n) {
				t.Fatalf("shard %v record %d: index %d key %q", id, n, r.Index, r.PartitionKey)
			}
			if want := writerRecord(writer, s, len(r.Data)); !bytes.Equal(want.Data, r.Data) {
				t.Fatalf("shard %v record %d (%q) damaged", id, n, r.PartitionKey)
			}
			if last, ok := lastSeq[writer]; ok && s <= last {
				t.Fatalf("shard %v: writer %s's record %d after its record %d", id, writer, s, last)
			}
			lastSeq[writer] = s
		}
	}
	for _, a := range acks {
		log := logs[a.shard]
		if a.first+a.count > len(log) {
			t.Fatalf("acknowledged records %d..%d of shard %d lost (log has %d)", a.first, a.first+a.count-1, a.shard, len(log))
		}
		for i := range a.count {
			r := log[a.first+i]
			want := writerRecord(a.writer, a.seq+i, a.size)
			if r.PartitionKey != want.PartitionKey || !bytes.Equal(r.Data, want.Data) {
				t.Fatalf("shard %d index %d: got %q, acknowledged %q", a.shard, a.first+i, r.PartitionKey, want.PartitionKey)
			}
		}
	}
}
