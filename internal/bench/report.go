package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Mode          Mode    `json:"mode"`
	Endpoint      string  `json:"endpoint"` // base URL, or "AWS <region>"
	Stream        string  `json:"stream"`
	Shards        int     `json:"shards"` // shards read from, or in the stream
	RecordSize    int     `json:"record_size"`
	BatchSize     int     `json:"batch_size"` // entries per put call: 1 for PutRecord
	Concurrency   int     `json:"concurrency"`
	PartitionKeys string  `json:"partition_keys"`      // "random" or a count
	Rate          float64 `json:"rate,omitempty"`      // records/s cap
	Consumers     int     `json:"consumers,omitempty"` // fanout mode
	Phases        []Phase `json:"phases"`
}

// Phase names.
const (
	PhasePut  = "put"  // producers: put-record, put-records, mixed
	PhaseFill = "fill" // get-records filling the stream
	PhaseRead = "read" // readers: get-records, mixed
	// PhaseDeliver is the consumers' side of fanout mode: its records and
	// bytes are those delivered, summed over consumers; its calls are
	// SubscribeToShard calls, their latency the time to the initial response.
	PhaseDeliver = "deliver"
)

// Phase reports one kind of work of a run: the producers' or the readers'.
type Phase struct {
	Name      string  `json:"name"`      // PhasePut, PhaseFill, PhaseRead or PhaseDeliver
	Operation string  `json:"operation"` // PutRecord, PutRecords, GetRecords or SubscribeToShard
	Seconds   float64 `json:"seconds"`   // wall time, calls in flight at the end included

	Calls   int64 `json:"calls"`   // successful calls
	Records int64 `json:"records"` // acknowledged by the server, or read
	Bytes   int64 `json:"bytes"`   // payload bytes of Records

	CallsPerSecond   float64 `json:"calls_per_second"`
	RecordsPerSecond float64 `json:"records_per_second"`
	MiBPerSecond     float64 `json:"mib_per_second"`

	// ToolCPU is the load tool's CPU time over the phase, in percent of
	// one core; phases that overlap (mixed, fanout) both count all of it.
	// Near 100 per core the tool may use, the tool set the figures.
	ToolCPU float64 `json:"tool_cpu_percent,omitempty"`

	Latency  Latency   `json:"latency_ms"`              // per successful call
	EndToEnd *Latency  `json:"end_to_end_ms,omitempty"` // put to read or delivery: mixed, fanout
	Unread   int64     `json:"unread,omitempty"`        // acknowledged, never read (mixed)
	Delivery *Delivery `json:"delivery,omitempty"`      // fanout accounting
	Failed   int64     `json:"failed_calls"`            // sum of CallErrors
	Rejected int64     `json:"rejected_records"`        // sum of RecordErrors

	CallErrors    map[string]int64  `json:"call_errors,omitempty"`    // failed calls by error code
	RecordErrors  map[string]int64  `json:"record_errors,omitempty"`  // rejected PutRecords entries by code
	ErrorExamples map[string]string `json:"error_examples,omitempty"` // a message per code
}

// Latency is a latency distribution in milliseconds. Percentiles come from
// an HDR histogram and are exact to three significant digits; Max is exact.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Delivery accounts for the records of a fanout run: every record the
// producers got acknowledged is to reach every consumer exactly once.
// Records are told apart by their sequence numbers, which grow along a
// shard.
type Delivery struct {
	Consumers int   `json:"consumers"`
	Produced  int64 `json:"produced"`  // acknowledged to the producers
	Expected  int64 `json:"expected"`  // Produced x Consumers
	Delivered int64 `json:"delivered"` // distinct records received, over all consumers
	// Missing is the shortfall: acknowledged records that some consumer
	// never received, summed over consumers.
	Missing int64 `json:"missing"`
	// Duplicates are records a consumer received again (or out of order);
	// they do not count as delivered.
	Duplicates int64 `json:"duplicates"`
	// Unacknowledged are records received beyond Produced: puts that failed
	// for the producer but were stored.
	Unacknowledged int64              `json:"unacknowledged,omitempty"`
	PerConsumer    []ConsumerDelivery `json:"per_consumer"`
}

// ConsumerDelivery is one consumer's share of a Delivery.
type ConsumerDelivery struct {
	Name             string  `json:"name"`
	Delivered        int64   `json:"delivered"`
	RecordsPerSecond float64 `json:"records_per_second"`
	Missing          int64   `json:"missing"`
	Duplicates       int64   `json:"duplicates"`
	Unacknowledged   int64   `json:"unacknowledged,omitempty"`
	Shards           int     `json:"shards"`        // shards read, children included
	Subscriptions    int64   `json:"subscriptions"` // successful SubscribeToShard calls
}

const mib = 1 << 20

// newPhase summarises rec, measured over elapsed, with the tool's CPU
// percentage over the same time.
func newPhase(name, operation string, rec *recorder, elapsed time.Duration, toolCPU float64) Phase {
	secs := elapsed.Seconds()
	p := Phase{
		Name:             name,
		Operation:        operation,
		Seconds:          secs,
		ToolCPU:          toolCPU,
		Calls:            rec.calls,
		Records:          rec.records,
		Bytes:            rec.bytes,
		CallsPerSecond:   perSecond(rec.calls, secs),
		RecordsPerSecond: perSecond(rec.records, secs),
		MiBPerSecond:     perSecond(rec.bytes, secs) / mib,
		Latency:          rec.latency.summary(),
		CallErrors:       rec.callErrors,
		RecordErrors:     rec.recordErrors,
		ErrorExamples:    rec.examples,
	}
	for _, n := range rec.callErrors {
		p.Failed += n
	}
	for _, n := range rec.recordErrors {
		p.Rejected += n
	}
	return p
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	keys := r.PartitionKeys
	fmt.Fprintf(&b, "%s against %s, stream %s (%d shards)\n", r.Mode, r.Endpoint, r.Stream, r.Shards)
	fmt.Fprintf(&b, "records of %d B, batch %d, %d clients, partition keys %s", r.RecordSize, r.BatchSize, r.Concurrency, keys)
	if r.Rate > 0 {
		fmt.Fprintf(&b, ", capped at %s records/s", formatCount(r.Rate))
	}
	if r.Consumers > 0 {
		fmt.Fprintf(&b, ", %d consumers", r.Consumers)
	}
	b.WriteString("\n")
	for _, p := range r.Phases {
		p.writeText(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (p *Phase) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "\n%s: %s for %.2fs\n", p.Name, p.Operation, p.Seconds)
	fmt.Fprintf(b, "  records   %s (%s records/s, %.2f MiB/s)\n", formatCount(float64(p.Records)), formatCount(p.RecordsPerSecond), p.MiBPerSecond)
	fmt.Fprintf(b, "  calls     %s (%s calls/s)\n", formatCount(float64(p.Calls)), formatCount(p.CallsPerSecond))
	fmt.Fprintf(b, "  latency   %s\n", p.Latency)
	if p.ToolCPU > 0 {
		fmt.Fprintf(b, "  tool CPU  %.0f%% of a core\n", p.ToolCPU)
	}
	if p.EndToEnd != nil {
		fmt.Fprintf(b, "  end2end   %s\n", p.EndToEnd)
	}
	if p.Unread > 0 {
		fmt.Fprintf(b, "  unread    %s acknowledged records never read\n", formatCount(float64(p.Unread)))
	}
	if p.Delivery != nil {
		p.Delivery.writeText(b)
	}
	fmt.Fprintf(b, "  errors    calls %s; records %s\n", formatErrors(p.CallErrors), formatErrors(p.RecordErrors))
	for _, code := range slices.Sorted(maps.Keys(p.ErrorExamples)) {
		fmt.Fprintf(b, "    %s: %s\n", code, p.ErrorExamples[code])
	}
}

func (d *Delivery) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "  delivery  produced %s x %d consumers = %s expected; delivered %s; missing %s; duplicates %s",
		formatCount(float64(d.Produced)), d.Consumers, formatCount(float64(d.Expected)),
		formatCount(float64(d.Delivered)), formatCount(float64(d.Missing)), formatCount(float64(d.Duplicates)))
	if d.Unacknowledged > 0 {
		fmt.Fprintf(b, "; %s beyond the acknowledged", formatCount(float64(d.Unacknowledged)))
	}
	b.WriteString("\n")
	for _, c := range d.PerConsumer {
		fmt.Fprintf(b, "  consumer  %s: %s records (%s records/s), missing %s, duplicates %s; %d shards, %d subscriptions\n",
			c.Name, formatCount(float64(c.Delivered)), formatCount(c.RecordsPerSecond),
			formatCount(float64(c.Missing)), formatCount(float64(c.Duplicates)), c.Shards, c.Subscriptions)
	}
}

// String formats l as "p50 1.23ms p90 … max …".
func (l Latency) String() string {
	if l.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms", l.P50, l.P90, l.P99, l.Max)
}

func formatErrors(byCode map[string]int64) string {
	if len(byCode) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(byCode))
	for _, code := range slices.Sorted(maps.Keys(byCode)) {
		parts = append(parts, code+"="+strconv.FormatInt(byCode[code], 10))
	}
	return strings.Join(parts, " ")
}

// formatCount rounds v and groups its digits: 1234567.8 -> "1,234,568".
func formatCount(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
