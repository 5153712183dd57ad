package aggregation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/aggregation"
	"github.com/runnel-dev/runnel/internal/npmtest"
)

// The interoperability tests run aws-kinesis-agg, AWS's aggregation library
// for Node.js, through testdata/node/interop.js, with the exact
// dependencies that testdata/node/package-lock.json locks. The first test
// to need them installs them with `npm ci` into the user's cache directory,
// one installation per lock file content.

// nodeRecord is interop.js's JSON record; Data is base64 (encoding/json's
// []byte).
type nodeRecord struct {
	SequenceNumber    string `json:"sequenceNumber,omitempty"`
	SubSequenceNumber uint64 `json:"subSequenceNumber,omitempty"`
	PartitionKey      string `json:"partitionKey"`
	ExplicitHashKey   string `json:"explicitHashKey,omitempty"`
	Data              []byte `json:"data"`
}

// userRecords is a mix the format must carry: repeated and unique keys,
// explicit hash keys, multi-byte characters, empty and large data, enough
// in all to fill more than one 1 MiB aggregate.
func userRecords() []nodeRecord {
	var recs []nodeRecord
	for i := range 600 {
		r := nodeRecord{PartitionKey: "key-" + strconv.Itoa(i%37), Data: []byte(fmt.Sprintf("record %d", i))}
		switch {
		case i%50 == 7:
			r.Data = bytes.Repeat([]byte{byte(i)}, 200_000)
		case i%11 == 3:
			r.ExplicitHashKey = strconv.Itoa(i * 1_000_003)
		case i%13 == 5:
			r.PartitionKey = fmt.Sprintf("clé-ключ-%d", i)
		case i%17 == 2:
			r.Data = []byte{}
		}
		recs = append(recs, r)
	}
	return recs
}

func TestNodeAggregatesGoDeaggregates(t *testing.T) {
	want := userRecords()
	var encoded []nodeRecord
	runNode(t, "aggregate", want, &encoded)
	if len(encoded) < 2 {
		t.Fatalf("node made %d Kinesis records, want several", len(encoded))
	}
	var got []aggregation.UserRecord
	for i, e := range encoded {
		seq := strconv.Itoa(1000 + i)
		if !aggregation.IsAggregated(e.Data) {
			t.Fatalf("Kinesis record %d from node is not aggregated by our reading", i)
		}
		us := aggregation.Deaggregate(aggregation.Record{SequenceNumber: seq, PartitionKey: e.PartitionKey, Data: e.Data}, nil)
		for j, u := range us {
			if u.SequenceNumber != seq || u.SubSequenceNumber != uint64(j) || !u.Aggregated {
				t.Fatalf("record %d, user record %d: %+v", i, j, u)
			}
		}
		got = append(got, us...)
	}
	if len(got) != len(want) {
		t.Fatalf("deaggregated %d user records, want %d", len(got), len(want))
	}
	for i, u := range got {
		w := want[i]
		if u.PartitionKey != w.PartitionKey || u.ExplicitHashKey != w.ExplicitHashKey || !bytes.Equal(u.Data, w.Data) {
			t.Fatalf("user record %d = (%q, %q, %d bytes), want (%q, %q, %d bytes)",
				i, u.PartitionKey, u.ExplicitHashKey, len(u.Data), w.PartitionKey, w.ExplicitHashKey, len(w.Data))
		}
	}
}

func TestGoAggregatesNodeDeaggregates(t *testing.T) {
	want := userRecords()
	var kinesis []nodeRecord
	var a aggregation.Aggregator
	drain := func() {
		data, pk, _, _ := a.Drain()
		kinesis = append(kinesis, nodeRecord{SequenceNumber: strconv.Itoa(1000 + len(kinesis)), PartitionKey: pk, Data: data})
	}
	for _, r := range want {
		if a.Len() > 0 && a.SizeWith(r.PartitionKey, r.ExplicitHashKey, len(r.Data)) > 1<<20 {
			drain()
		}
		if err := a.Add(r.PartitionKey, r.ExplicitHashKey, r.Data); err != nil {
			t.Fatal(err)
		}
	}
	drain()
	var got []nodeRecord
	runNode(t, "deaggregate", kinesis, &got)
	if len(got) != len(want) {
		t.Fatalf("node deaggregated %d user records, want %d", len(got), len(want))
	}
	k, sub := 0, uint64(0)
	for i, u := range got {
		if u.SequenceNumber != kinesis[k].SequenceNumber {
			k, sub = k+1, 0
		}
		w := want[i]
		// aws-kinesis-agg reports the first table entry as the explicit
		// hash key of a user record that has none (it reads the unset
		// index as 0), so only set keys are compared.
		if u.PartitionKey != w.PartitionKey || !bytes.Equal(u.Data, w.Data) ||
			(w.ExplicitHashKey != "" && u.ExplicitHashKey != w.ExplicitHashKey) ||
			u.SequenceNumber != kinesis[k].SequenceNumber || u.SubSequenceNumber != sub {
			t.Fatalf("user record %d = (%s/%d, %q, %q, %d bytes), want (%s/%d, %q, %q, %d bytes)", i,
				u.SequenceNumber, u.SubSequenceNumber, u.PartitionKey, u.ExplicitHashKey, len(u.Data),
				kinesis[k].SequenceNumber, sub, w.PartitionKey, w.ExplicitHashKey, len(w.Data))
		}
		sub++
	}
}

// runNode runs interop.js in mode with in as its JSON input and decodes its
// output into out.
func runNode(t *testing.T, mode string, in, out any) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required for the interoperability tests: %v", err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "node", "interop.js"))
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, mode)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(nodeModules(t), "node_modules"))
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		t.Fatalf("node interop.js %s: %v\n%s", mode, err, stderr.Bytes())
	}
	if err := json.Unmarshal(output, out); err != nil {
		t.Fatalf("node interop.js %s output: %v", mode, err)
	}
}

// nodeModules returns a directory whose node_modules holds exactly what
// testdata/node/package-lock.json locks.
func nodeModules(t *testing.T) string {
	return npmtest.Modules(t, filepath.Join("testdata", "node"), "aggregation-node")
}
