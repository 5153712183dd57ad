package kinesisapi

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
)

// TestToRecords checks that the batch conversion of GetRecords gives what
// the record-by-record one (still used by fan-out events) gives, down to
// the bytes of both codecs.
func TestToRecords(t *testing.T) {
	sh := &stream.Shard{Index: 7, Created: 1_700_000_000_000}
	recs := []storage.Record{
		{Index: 0, Arrival: 1_700_000_000_001, PartitionKey: "a", Data: []byte("x")},
		{Index: 1, Arrival: 1_700_000_000_999, Flags: storage.FlagEncrypted, PartitionKey: "日本", Data: []byte{0, 1, 2}},
		{Index: 1 << 40, Arrival: 1_800_000_000_000, PartitionKey: "k", Data: []byte{}},
		{Index: 3, Arrival: 1_800_000_000_000, PartitionKey: "nil data"},
	}
	got := toRecords(sh, recs)
	want := make([]shape.Record, len(recs))
	for i := range recs {
		want[i] = toRecord(sh, &recs[i])
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("toRecords = %+v, want %+v", got, want)
	}
	if got := toRecords(sh, nil); got == nil || len(got) != 0 {
		t.Errorf("toRecords(nil) = %#v, want an empty, non-nil slice (sent as [])", got)
	}
	for _, codec := range []shape.Codec{shape.JSON, shape.CBOR} {
		a, errA := codec.Encode(&shape.GetRecordsOutput{Records: got})
		b, errB := codec.Encode(&shape.GetRecordsOutput{Records: want})
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: %x, %v; want %x, %v", codec, a, errA, b, errB)
		}
	}
}

// toRecord converts a stored record to the API shape one value at a time:
// the reference toRecords must agree with.
func toRecord(sh *stream.Shard, r *storage.Record) shape.Record {
	pk, enc := r.PartitionKey, encryptionType(r)
	return shape.Record{
		SequenceNumber:              str(sequenceNumber(sh, r)),
		ApproximateArrivalTimestamp: shape.NewTimestamp(msTime(r.Arrival)),
		Data:                        r.Data,
		PartitionKey:                &pk,
		EncryptionType:              &enc,
	}
}
