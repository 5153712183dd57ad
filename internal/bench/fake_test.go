package bench

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math/bits"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startEndpoint starts the Kinesis endpoint that the mode tests run against
// and returns its URL. It is the fake below for now; pointing it at a real
// server runs the same tests against that server.
var startEndpoint = func(t *testing.T) string {
	return newFake(t, fakeFaults{}).URL()
}

// fakeFaults are the fake's fault hooks; nil hooks inject nothing.
type fakeFaults struct {
	// callError returns the error code with which to fail the nth call
	// (1-based) of op, or "". The code closeConnection drops the connection.
	callError func(op string, n int) string
	// entryError returns the error code with which to reject the nth
	// PutRecords entry (1-based, counted over all calls), or "".
	entryError func(n int) string
	// delay returns how long to hold the nth call of op before answering.
	delay func(op string, n int) time.Duration
	// creatingDescribes is how many DescribeStreamSummary calls see a new
	// stream CREATING before it turns ACTIVE.
	creatingDescribes int
}

// closeConnection makes the fake drop the connection instead of answering.
const closeConnection = "!close"

// fakeListShardsPage is the fake's ListShards page size, small so that
// tests with more shards exercise NextToken.
const fakeListShardsPage = 3

// fakeKinesis is an in-memory Kinesis endpoint that speaks the JSON 1.1
// protocol for the operations the load tool uses and keeps a tally of what
// it acknowledged and rejected, for tests to check the tool's accounting.
type fakeKinesis struct {
	server *httptest.Server
	faults fakeFaults

	mu      sync.Mutex
	streams map[string]*fakeStream
	calls   map[string]int   // requests by operation
	failed  map[string]int64 // calls failed by code
	entries int              // PutRecords entries received
	stored  int64            // records acknowledged
	rejects map[string]int64 // PutRecords entries rejected by code
}

type fakeStream struct {
	describes int // DescribeStreamSummary calls so far
	shards    [][][]byte
}

func newFake(t testing.TB, faults fakeFaults) *fakeKinesis {
	f := &fakeKinesis{
		faults:  faults,
		streams: make(map[string]*fakeStream),
		calls:   make(map[string]int),
		failed:  make(map[string]int64),
		rejects: make(map[string]int64),
	}
	f.server = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeKinesis) URL() string { return f.server.URL }

// fakeRequest holds the fields of every request the fake serves.
type fakeRequest struct {
	StreamName             string
	ShardCount             int
	NextToken              string
	ShardId                string
	ShardIteratorType      string
	StartingSequenceNumber string
	ShardIterator          string
	Limit                  int
	Data                   []byte
	PartitionKey           string
	Records                []fakeEntry
}

// fakeError is an error answer.
type fakeError struct {
	code    string
	message string
}

func (f *fakeKinesis) serveHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "Kinesis_20131202.")
	switch {
	case r.Method != http.MethodPost || !ok:
		writeError(w, &fakeError{"UnknownOperationException", "bad target"})
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		writeError(w, &fakeError{"SerializationException", "bad content type"})
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		writeError(w, &fakeError{"MissingAuthenticationTokenException", "Missing Authentication Token"})
		return
	}
	var body fakeRequest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, &fakeError{"SerializationException", err.Error()})
		return
	}
	n, code := f.countCall(op)
	if f.faults.delay != nil {
		time.Sleep(f.faults.delay(op, n))
	}
	if code == closeConnection {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	if code != "" {
		writeError(w, &fakeError{code, "injected " + code})
		return
	}
	out, ferr := f.dispatch(op, &body)
	if ferr != nil {
		writeError(w, ferr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// countCall counts a call of op and returns its number and the error code
// it is to fail with.
func (f *fakeKinesis) countCall(op string) (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	n := f.calls[op]
	code := ""
	if f.faults.callError != nil {
		code = f.faults.callError(op, n)
	}
	if code != "" {
		f.failed[code]++
	}
	return n, code
}

func writeError(w http.ResponseWriter, e *fakeError) {
	status := http.StatusBadRequest
	if e.code == "InternalFailure" {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.message})
}

func (f *fakeKinesis) dispatch(op string, req *fakeRequest) (any, *fakeError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := req.StreamName
	switch {
	case op == "CreateStream":
		return f.createStream(name, req.ShardCount)
	case op == "ListShards" && req.NextToken != "":
		return f.listShardsPage(req)
	case op == "GetRecords":
		return f.getRecords(req)
	}
	s, ok := f.streams[name]
	if !ok {
		return nil, &fakeError{"ResourceNotFoundException", fmt.Sprintf("Stream %s under account 000000000000 not found.", name)}
	}
	switch op {
	case "DescribeStreamSummary":
		return f.describe(name, s), nil
	case "DeleteStream":
		delete(f.streams, name)
		return struct{}{}, nil
	case "ListShards":
		return listShardsPage(name, s, 0), nil
	case "PutRecord":
		return f.putRecord(s, fakeEntry{Data: req.Data, PartitionKey: req.PartitionKey}), nil
	case "PutRecords":
		return f.putRecords(s, req.Records), nil
	case "GetShardIterator":
		return getShardIterator(name, s, req)
	}
	return nil, &fakeError{"UnknownOperationException", op}
}

func (f *fakeKinesis) createStream(name string, count int) (any, *fakeError) {
	if _, ok := f.streams[name]; ok {
		return nil, &fakeError{"ResourceInUseException", "Stream " + name + " already exists."}
	}
	f.streams[name] = &fakeStream{shards: make([][][]byte, count)}
	return struct{}{}, nil
}

func (f *fakeKinesis) describe(name string, s *fakeStream) any {
	s.describes++
	status := "ACTIVE"
	if s.describes <= f.faults.creatingDescribes {
		status = "CREATING"
	}
	return map[string]any{"StreamDescriptionSummary": map[string]any{
		"StreamName":              name,
		"StreamARN":               "arn:aws:kinesis:us-east-1:000000000000:stream/" + name,
		"StreamStatus":            status,
		"RetentionPeriodHours":    24,
		"StreamCreationTimestamp": 1.7e9,
		"EnhancedMonitoring":      []any{map[string]any{"ShardLevelMetrics": []string{}}},
		"OpenShardCount":          len(s.shards),
	}}
}

func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// listShardsPage lists shards from index from on; the NextToken is
// "<stream>/<index>".
func listShardsPage(name string, s *fakeStream, from int) any {
	var shards []any
	end := min(from+fakeListShardsPage, len(s.shards))
	for i := from; i < end; i++ {
		shards = append(shards, map[string]any{
			"ShardId":             shardID(i),
			"HashKeyRange":        map[string]string{"StartingHashKey": "0", "EndingHashKey": "1"},
			"SequenceNumberRange": map[string]string{"StartingSequenceNumber": "0"},
		})
	}
	out := map[string]any{"Shards": shards}
	if end < len(s.shards) {
		out["NextToken"] = name + "/" + strconv.Itoa(end)
	}
	return out
}

func (f *fakeKinesis) listShardsPage(req *fakeRequest) (any, *fakeError) {
	if req.StreamName != "" {
		return nil, &fakeError{"InvalidArgumentException", "NextToken and StreamName cannot be provided together."}
	}
	name, from, _ := strings.Cut(req.NextToken, "/")
	s, ok := f.streams[name]
	i, err := strconv.Atoi(from)
	if !ok || err != nil {
		return nil, &fakeError{"InvalidArgumentException", "bad NextToken"}
	}
	return listShardsPage(name, s, i), nil
}

// route maps a partition key to a shard as Kinesis does, by the MD5 of the
// key, here cut to its top 64 bits.
func route(key string, shards int) int {
	sum := md5.Sum([]byte(key))
	hi, _ := bits.Mul64(binary.BigEndian.Uint64(sum[:8]), uint64(shards))
	return int(hi)
}

type fakeEntry struct {
	Data         []byte
	PartitionKey string
}

// store appends a record and returns its shard and sequence number.
func (s *fakeStream) store(e fakeEntry) (string, string) {
	i := route(e.PartitionKey, len(s.shards))
	s.shards[i] = append(s.shards[i], e.Data)
	return shardID(i), strconv.Itoa(len(s.shards[i]) - 1)
}

func (f *fakeKinesis) putRecord(s *fakeStream, e fakeEntry) any {
	shard, seq := s.store(e)
	f.stored++
	return map[string]string{"ShardId": shard, "SequenceNumber": seq}
}

func (f *fakeKinesis) putRecords(s *fakeStream, entries []fakeEntry) any {
	results := make([]map[string]string, len(entries))
	failed := 0
	for i, e := range entries {
		f.entries++
		if code := f.entryCode(); code != "" {
			f.rejects[code]++
			failed++
			results[i] = map[string]string{"ErrorCode": code, "ErrorMessage": "Rate exceeded for shard"}
			continue
		}
		shard, seq := s.store(e)
		f.stored++
		results[i] = map[string]string{"ShardId": shard, "SequenceNumber": seq}
	}
	return map[string]any{"FailedRecordCount": failed, "Records": results}
}

func (f *fakeKinesis) entryCode() string {
	if f.faults.entryError == nil {
		return ""
	}
	return f.faults.entryError(f.entries)
}

// Iterators are "<stream>/<shard index>/<position>".
func getShardIterator(name string, s *fakeStream, in *fakeRequest) (any, *fakeError) {
	shard := -1
	for i := range s.shards {
		if shardID(i) == in.ShardId {
			shard = i
		}
	}
	if shard < 0 {
		return nil, &fakeError{"ResourceNotFoundException", "Shard " + in.ShardId + " does not exist"}
	}
	var pos int
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
	case "LATEST":
		pos = len(s.shards[shard])
	case "AFTER_SEQUENCE_NUMBER":
		seq, err := strconv.Atoi(in.StartingSequenceNumber)
		if err != nil {
			return nil, &fakeError{"InvalidArgumentException", "bad StartingSequenceNumber"}
		}
		pos = seq + 1
	default:
		return nil, &fakeError{"InvalidArgumentException", "unsupported iterator type " + in.ShardIteratorType}
	}
	return map[string]string{"ShardIterator": fmt.Sprintf("%s/%d/%d", name, shard, pos)}, nil
}

func (f *fakeKinesis) getRecords(in *fakeRequest) (any, *fakeError) {
	var name string
	var shard, pos int
	parts := strings.Split(in.ShardIterator, "/")
	if len(parts) == 3 {
		name = parts[0]
		shard, _ = strconv.Atoi(parts[1])
		pos, _ = strconv.Atoi(parts[2])
	}
	s, ok := f.streams[name]
	if !ok || shard >= len(s.shards) {
		return nil, &fakeError{"InvalidArgumentException", "Invalid ShardIterator."}
	}
	records := s.shards[shard]
	end := min(pos+max(in.Limit, 1), len(records))
	out := make([]map[string]any, 0, end-pos)
	for i := pos; i < end; i++ {
		out = append(out, map[string]any{
			"SequenceNumber":              strconv.Itoa(i),
			"ApproximateArrivalTimestamp": 1.7e9,
			"Data":                        records[i],
			"PartitionKey":                "k",
		})
	}
	behind := 0
	if end < len(records) {
		behind = 1000
	}
	return map[string]any{
		"Records":            out,
		"NextShardIterator":  fmt.Sprintf("%s/%d/%d", name, shard, end),
		"MillisBehindLatest": behind,
	}, nil
}

// add stores count records of size bytes in the stream, creating it with
// shards shards if needed.
func (f *fakeKinesis) add(stream string, shards, count, size int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.streams[stream]
	if !ok {
		s = &fakeStream{shards: make([][][]byte, shards)}
		f.streams[stream] = s
	}
	for i := range count {
		s.store(fakeEntry{Data: make([]byte, size), PartitionKey: strconv.Itoa(i)})
	}
}

// tally is a snapshot of the fake's counters.
type tally struct {
	calls   map[string]int
	failed  map[string]int64
	entries int
	stored  int64
	rejects map[string]int64
	shards  []int // records per shard of the stream asked for
	exists  bool
}

func (f *fakeKinesis) tally(stream string) tally {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := tally{
		calls:   maps.Clone(f.calls),
		failed:  maps.Clone(f.failed),
		entries: f.entries,
		stored:  f.stored,
		rejects: maps.Clone(f.rejects),
	}
	if s, ok := f.streams[stream]; ok {
		t.exists = true
		for _, records := range s.shards {
			t.shards = append(t.shards, len(records))
		}
	}
	return t
}
