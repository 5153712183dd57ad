package shape

import (
	"strconv"
	"testing"
	"time"
)

// putRecordsInput returns a PutRecords request of n entries of size bytes.
func putRecordsInput(n, size int) *PutRecordsInput {
	in := &PutRecordsInput{StreamName: ptr("bench"), Records: make([]PutRecordsRequestEntry, n)}
	for i := range in.Records {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i + j)
		}
		in.Records[i] = PutRecordsRequestEntry{Data: data, PartitionKey: ptr("key-" + strconv.Itoa(i))}
	}
	return in
}

// getRecordsOutput returns a GetRecords response of n records of size bytes.
func getRecordsOutput(n, size int) *GetRecordsOutput {
	out := &GetRecordsOutput{
		Records:            make([]Record, n),
		NextShardIterator:  ptr("AAAAAAAAAAE="),
		MillisBehindLatest: ptr(int64(0)),
	}
	at := NewTimestamp(time.UnixMilli(1607497475123))
	for i := range out.Records {
		out.Records[i] = Record{
			SequenceNumber:              ptr("49590338271490256608559692538361571095921575989136588898"),
			ApproximateArrivalTimestamp: at,
			Data:                        make([]byte, size),
			PartitionKey:                ptr("key-" + strconv.Itoa(i)),
		}
	}
	return out
}

func BenchmarkDecodePutRecords(b *testing.B) {
	for _, c := range []Codec{JSON, CBOR} {
		b.Run(c.String(), func(b *testing.B) {
			body, err := c.Encode(putRecordsInput(500, 1024))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var in PutRecordsInput
				if err := c.Decode(body, &in); err != nil {
					b.Fatal(err)
				}
				if err := in.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeGetRecordsOutput(b *testing.B) {
	encoders := []struct {
		name   string
		encode func(*GetRecordsOutput, []byte) ([]byte, error)
	}{
		{"json", func(o *GetRecordsOutput, _ []byte) ([]byte, error) { return JSON.Encode(o) }},
		{"cbor", func(o *GetRecordsOutput, _ []byte) ([]byte, error) { return CBOR.Encode(o) }},
		{"cbor-append", func(o *GetRecordsOutput, buf []byte) ([]byte, error) { return o.AppendCBOR(buf[:0]) }},
	}
	for _, e := range encoders {
		b.Run(e.name, func(b *testing.B) {
			out := getRecordsOutput(10000, 1024) // 10 MiB of data
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = e.encode(out, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkValidatePutRecords(b *testing.B) {
	in := putRecordsInput(500, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if err := in.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
