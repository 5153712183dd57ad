package producer

import (
	"context"
	"errors"
	"fmt"
)

// Errors a Put, a Result or Close can report. Record validation errors
// wrap aggregation.ErrPartitionKey or aggregation.ErrExplicitHashKey.
var (
	// ErrClosed: the producer was closed before the record was delivered
	// (as a Result's error, when Close's context ended first).
	ErrClosed = errors.New("producer: closed")
	// ErrBufferFull: the buffer is full and WithFailWhenFull is set.
	ErrBufferFull = errors.New("producer: buffer full")
	// ErrRecordTooLarge: data and partition key exceed WithMaxRecordSize.
	ErrRecordTooLarge = errors.New("producer: record too large")
	// ErrRecordExpired: the record's TTL (WithRecordTTL) passed before it
	// was delivered.
	ErrRecordExpired = errors.New("producer: record expired before it was delivered")
	// ErrInvalidOption: New was given an option value out of range.
	ErrInvalidOption = errors.New("producer: invalid option")
)

func errConfig(msg string) error { return fmt.Errorf("%w: %s", ErrInvalidOption, msg) }

// EntryError is a PutRecords entry's failure as Kinesis reported it, or a
// whole call's failure that ended the record.
type EntryError struct {
	Code    string // e.g. ProvisionedThroughputExceededException
	Message string
}

func (e *EntryError) Error() string { return "producer: " + e.Code + ": " + e.Message }

// Record is one user record to put.
type Record struct {
	PartitionKey string
	// ExplicitHashKey, if not "", routes the record instead of the
	// partition key's MD5: a decimal integer in [0, 2^128-1].
	ExplicitHashKey string
	// Data is retained until the record's Result is done; the caller must
	// not modify it before then.
	Data []byte
}

// Result is the outcome of one Put.
type Result struct {
	// ShardID and SequenceNumber are the Kinesis record's that carried the
	// user record.
	ShardID        string
	SequenceNumber string
	// SubSequenceNumber is the user record's index in its aggregate, 0 if
	// it was not aggregated.
	SubSequenceNumber uint64
	Aggregated        bool
	// Attempts counts the PutRecords calls that carried the record.
	Attempts int
	// Err is nil if the record was delivered. Otherwise it wraps
	// ErrRecordExpired (with the last failure), ErrClosed, or an
	// *EntryError Kinesis answered that is not worth retrying.
	Err error
}

// Handle is the pending result of an asynchronous Put.
type Handle struct {
	done chan struct{}
	res  Result
}

func newHandle() *Handle { return &Handle{done: make(chan struct{})} }

// Done is closed when the result is known.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Result blocks until the result is known and returns it.
func (h *Handle) Result() Result {
	<-h.done
	return h.res
}

// Wait returns the result once it is known, and the record's error; or, if
// ctx ends first, ctx's error with the record still in flight.
func (h *Handle) Wait(ctx context.Context) (Result, error) {
	select {
	case <-h.done:
		return h.res, h.res.Err
	case <-ctx.Done():
		return Result{}, context.Cause(ctx)
	}
}

func (h *Handle) complete(r Result) {
	h.res = r
	close(h.done)
}
