package shape

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

func TestCodecFor(t *testing.T) {
	tests := []struct {
		contentType string
		want        Codec
		ok          bool
	}{
		{"application/x-amz-json-1.1", JSON, true},
		{"application/x-amz-json-1.1; charset=utf-8", JSON, true},
		{"Application/X-Amz-Json-1.1", JSON, true},
		{"application/json", JSON, true},
		{"application/x-amz-cbor-1.1", CBOR, true},
		{" application/x-amz-cbor-1.1 ", CBOR, true},
		{"application/x-amz-json-1.0", JSON, false},
		{"text/plain", JSON, false},
		{"", JSON, false},
	}
	for _, tt := range tests {
		got, ok := CodecFor(tt.contentType)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CodecFor(%q) = %v, %v; want %v, %v", tt.contentType, got, ok, tt.want, tt.ok)
		}
	}
	if JSON.ContentType() != "application/x-amz-json-1.1" || CBOR.ContentType() != "application/x-amz-cbor-1.1" {
		t.Errorf("ContentType: %q, %q", JSON.ContentType(), CBOR.ContentType())
	}
}

func TestRoundTrip(t *testing.T) {
	at := NewTimestamp(time.UnixMilli(1607497475123))
	values := []any{
		getRecordsOutput(3, 5),
		&GetRecordsOutput{Records: []Record{}, MillisBehindLatest: ptr(int64(0)), ChildShards: []ChildShard{{
			ShardId:      ptr("shardId-000000000001"),
			ParentShards: []string{"shardId-000000000000"},
			HashKeyRange: &HashKeyRange{StartingHashKey: ptr("0"), EndingHashKey: ptr("340282366920938463463374607431768211455")},
		}}},
		&PutRecordsInput{StreamName: ptr("s"), Records: []PutRecordsRequestEntry{
			{Data: []byte{}, PartitionKey: ptr("a")},
			{Data: []byte{0, 1, 2, 255}, PartitionKey: ptr("b"), ExplicitHashKey: ptr("42")},
		}},
		&CreateStreamInput{StreamName: ptr("s"), ShardCount: ptr(int32(4)), Tags: map[string]string{"k": "v"},
			StreamModeDetails: &StreamModeDetails{StreamMode: ptr("ON_DEMAND")}},
		&DescribeStreamSummaryOutput{StreamDescriptionSummary: &StreamDescriptionSummary{
			StreamName: ptr("s"), StreamARN: ptr("arn:aws:kinesis:us-east-1:123456789012:stream/s"),
			StreamStatus: ptr("ACTIVE"), RetentionPeriodHours: ptr(int32(24)), StreamCreationTimestamp: at,
			EnhancedMonitoring: []EnhancedMetrics{{ShardLevelMetrics: []string{}}}, OpenShardCount: ptr(int32(1)),
		}},
		&ListStreamsOutput{StreamNames: []string{"a", "b"}, HasMoreStreams: ptr(false)},
		&SubscribeToShardEvent{Records: []Record{}, ContinuationSequenceNumber: ptr("1"), MillisBehindLatest: ptr(int64(7))},
		&DescribeLimitsInput{},
	}
	for _, c := range []Codec{JSON, CBOR} {
		for _, v := range values {
			body, err := c.Encode(v)
			if err != nil {
				t.Fatalf("%v: Encode(%T): %v", c, v, err)
			}
			got := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := c.Decode(body, got); err != nil {
				t.Fatalf("%v: Decode(%T): %v\n%x", c, v, err, body)
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("%v: %T round trip:\n got %+v\nwant %+v", c, v, got, v)
			}
		}
	}
}

func TestEncodeJSON(t *testing.T) {
	out := &GetRecordsOutput{
		Records: []Record{{
			SequenceNumber:              ptr("1"),
			ApproximateArrivalTimestamp: NewTimestamp(time.UnixMilli(1607497475000)),
			Data:                        []byte("<hi>"),
			PartitionKey:                ptr("a&b"),
		}},
		MillisBehindLatest: ptr(int64(0)),
	}
	body, err := JSON.Encode(out)
	if err != nil {
		t.Fatal(err)
	}
	// Required members are always present, optional nil ones absent; no
	// HTML escaping; no trailing newline.
	want := `{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1607497475.000,` +
		`"Data":"PGhpPg==","PartitionKey":"a&b"}],"MillisBehindLatest":0}`
	if string(body) != want {
		t.Errorf("got  %s\nwant %s", body, want)
	}
}

func TestEncodeCBOR(t *testing.T) {
	out := &PutRecordOutput{ShardId: ptr("s"), SequenceNumber: ptr("1")}
	body, err := CBOR.Encode(out)
	if err != nil {
		t.Fatal(err)
	}
	// {"ShardId": "s", "SequenceNumber": "1"}: a definite-length map of
	// text keys, EncryptionType omitted.
	want := "a2" + "67" + hex.EncodeToString([]byte("ShardId")) + "6173" +
		"6e" + hex.EncodeToString([]byte("SequenceNumber")) + "6131"
	if hex.EncodeToString(body) != want {
		t.Errorf("got  %x\nwant %s", body, want)
	}
	// Integers are integers, blobs byte strings, timestamps tag 1 + millis.
	rec := &Record{Data: []byte{1}, ApproximateArrivalTimestamp: NewTimestamp(time.UnixMilli(1000))}
	body, err = CBOR.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]cbor.RawMessage
	if err := cbor.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(m["Data"]); got != "4101" {
		t.Errorf("Data = %s, want byte string 4101", got)
	}
	if got := hex.EncodeToString(m["ApproximateArrivalTimestamp"]); got != "c11903e8" {
		t.Errorf("timestamp = %s, want c11903e8 (tag 1, 1000)", got)
	}
	body, err = CBOR.Encode(&DescribeLimitsOutput{ShardLimit: ptr(int32(500)), OpenShardCount: ptr(int32(0)),
		OnDemandStreamCount: ptr(int32(1)), OnDemandStreamCountLimit: ptr(int32(50))})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte{0x19, 0x01, 0xf4}) { // uint16 500
		t.Errorf("ShardLimit 500 not encoded as a CBOR integer: %x", body)
	}
}

func TestDecodeIgnoresUnknownMembers(t *testing.T) {
	var in GetShardIteratorInput
	err := JSON.Decode([]byte(`{"ShardId":"a","Extra":{"x":[1,2]},"ShardIteratorType":"LATEST"}`), &in)
	if err != nil {
		t.Fatal(err)
	}
	if *in.ShardId != "a" || *in.ShardIteratorType != "LATEST" || in.StreamName != nil {
		t.Errorf("got %+v", in)
	}
	body := mustCBOR(t, map[string]any{"ShardId": "a", "Extra": []any{1, "x"}, "shardIteratorType": "LATEST"})
	in = GetShardIteratorInput{}
	if err := CBOR.Decode(body, &in); err != nil {
		t.Fatal(err)
	}
	if *in.ShardId != "a" || in.ShardIteratorType != nil {
		t.Errorf("CBOR: got %+v; member names must match exactly", in)
	}
}

func TestDecodeCBORBlobs(t *testing.T) {
	tests := []struct {
		data any
		want []byte
	}{
		{[]byte("hello"), []byte("hello")},
		{[]byte{}, []byte{}},
		{"aGVsbG8=", []byte("hello")},
		{"", []byte{}},
	}
	for _, tt := range tests {
		body := mustCBOR(t, map[string]any{"Records": []any{map[string]any{"Data": tt.data, "PartitionKey": "k"}}})
		var in PutRecordsInput
		if err := CBOR.Decode(body, &in); err != nil {
			t.Fatalf("%#v: %v", tt.data, err)
		}
		if got := in.Records[0].Data; !bytes.Equal(got, tt.want) || got == nil {
			t.Errorf("%#v: Data = %#v, want %#v", tt.data, got, tt.want)
		}
		var one PutRecordInput
		body = mustCBOR(t, map[string]any{"Data": tt.data, "PartitionKey": "k", "StreamName": "s"})
		if err := CBOR.Decode(body, &one); err != nil || !bytes.Equal(one.Data, tt.want) || *one.StreamName != "s" {
			t.Errorf("PutRecord %#v: %v, %+v", tt.data, err, one)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		codec Codec
		body  []byte
		into  any
		msg   string // SerializationError.Message
	}{
		// Bodies that are not an object: SerializationException without a
		// message (kinesalite index.js).
		{JSON, nil, &PutRecordsInput{}, ""},
		{JSON, []byte(" "), &PutRecordsInput{}, ""},
		{JSON, []byte("[]"), &PutRecordsInput{}, ""},
		{JSON, []byte("null"), &PutRecordsInput{}, ""},
		{JSON, []byte(`"x"`), &PutRecordsInput{}, ""},
		{JSON, []byte(`{"StreamName":"a"`), &PutRecordsInput{}, ""},
		{JSON, []byte(`{"StreamName":"a"} {}`), &PutRecordsInput{}, ""},
		{CBOR, nil, &PutRecordsInput{}, ""},
		{CBOR, []byte{0x80}, &PutRecordsInput{}, ""},
		{CBOR, []byte{0xf6}, &PutRecordsInput{}, ""},
		{CBOR, []byte{0xa1, 0x61}, &PutRecordsInput{}, ""},
		{CBOR, []byte{0xa0, 0xa0}, &PutRecordsInput{}, ""},
		// Members of the wrong type.
		{JSON, []byte(`{"StreamName":1}`), &PutRecordsInput{}, "NUMBER_VALUE can not be converted to a String"},
		{JSON, []byte(`{"StreamName":true}`), &PutRecordsInput{}, "TRUE_VALUE can not be converted to a String"},
		{JSON, []byte(`{"StreamName": false }`), &PutRecordsInput{}, "FALSE_VALUE can not be converted to a String"},
		{JSON, []byte(`{"StreamName":[]}`), &PutRecordsInput{}, "Start of list found where not expected"},
		{JSON, []byte(`{"StreamName":{}}`), &PutRecordsInput{}, "Start of structure or map found where not expected."},
		{JSON, []byte(`{"ShardCount":"1"}`), &CreateStreamInput{}, "STRING_VALUE can not be converted to an Integer"},
		{JSON, []byte(`{"ShardCount":false}`), &CreateStreamInput{}, "FALSE_VALUE can not be converted to an Integer"},
		{JSON, []byte(`{"ShardCount":1.5}`), &CreateStreamInput{}, "NUMBER_VALUE can not be converted to an Integer"},
		{JSON, []byte(`{"ShardCount":2147483648}`), &CreateStreamInput{}, "NUMBER_VALUE can not be converted to an Integer"},
		{JSON, []byte(`{"EnforceConsumerDeletion":"true"}`), &DeleteStreamInput{}, "STRING_VALUE can not be converted to an Boolean"},
		{JSON, []byte(`{"EnforceConsumerDeletion":1}`), &DeleteStreamInput{}, "NUMBER_VALUE can not be converted to an Boolean"},
		{JSON, []byte(`{"Records":"x"}`), &PutRecordsInput{}, "Expected list or null"},
		{JSON, []byte(`{"Records":{}}`), &PutRecordsInput{}, "Start of structure or map found where not expected."},
		{JSON, []byte(`{"Records":[1]}`), &PutRecordsInput{}, "Expected null"},
		{JSON, []byte(`{"Records":[[]]}`), &PutRecordsInput{}, "Start of list found where not expected"},
		{JSON, []byte(`{"Records":[{"Data":1}]}`), &PutRecordsInput{}, "NUMBER_VALUE can not be converted to a Blob"},
		{JSON, []byte(`{"Records":[{"Data":"YQ="}]}`), &PutRecordsInput{}, "Invalid Base64 encoded blob"},
		{JSON, []byte(`{"Records":[{"Data":"Y!=="}]}`), &PutRecordsInput{}, "Invalid Base64 encoded blob"},
		{JSON, []byte(`{"Tags":"x"}`), &CreateStreamInput{}, "Expected map or null"},
		{JSON, []byte(`{"Tags":[]}`), &CreateStreamInput{}, "Start of list found where not expected"},
		{JSON, []byte(`{"Tags":{"a":1}}`), &CreateStreamInput{}, "NUMBER_VALUE can not be converted to a String"},
		{JSON, []byte(`{"StreamModeDetails":"x"}`), &CreateStreamInput{}, "Expected null"},
		{JSON, []byte(`{"Timestamp":"1"}`), &GetShardIteratorInput{}, "STRING_VALUE can not be converted to milliseconds since epoch"},
		{JSON, []byte(`{"Timestamp":true}`), &GetShardIteratorInput{}, "TRUE_VALUE can not be converted to milliseconds since epoch"},
		{JSON, []byte(`{"Timestamp":[1]}`), &GetShardIteratorInput{}, "Start of list found where not expected"},
		{JSON, []byte(`{"Timestamp":{}}`), &GetShardIteratorInput{}, "Start of structure or map found where not expected."},
		{JSON, []byte(`{"Timestamp":1e400}`), &GetShardIteratorInput{}, "Timestamp out of range"},
		{JSON, []byte(`{"Timestamp":1e300}`), &GetShardIteratorInput{}, "Timestamp out of range"},
		{CBOR, mustCBOR(t, map[string]any{"StreamName": 1}), &PutRecordsInput{}, "NUMBER_VALUE can not be converted to a String"},
		{CBOR, mustCBOR(t, map[string]any{"StreamName": []any{}}), &PutRecordsInput{}, "Start of list found where not expected"},
		{CBOR, mustCBOR(t, map[string]any{"ShardCount": "1"}), &CreateStreamInput{}, "STRING_VALUE can not be converted to an Integer"},
		{CBOR, mustCBOR(t, map[string]any{"ShardCount": int64(1) << 40}), &CreateStreamInput{}, "NUMBER_VALUE can not be converted to an Integer"},
		{CBOR, mustCBOR(t, map[string]any{"Records": "x"}), &PutRecordsInput{}, "Expected list or null"},
		{CBOR, mustCBOR(t, map[string]any{"Records": []any{map[string]any{"Data": 1}}}), &PutRecordsInput{}, "NUMBER_VALUE can not be converted to a Blob"},
		{CBOR, mustCBOR(t, map[string]any{"Records": []any{1}}), &PutRecordsInput{}, "Expected null"},
		{CBOR, mustCBOR(t, map[string]any{"Records": []any{[]any{}}}), &PutRecordsInput{}, "Start of list found where not expected"},
		{CBOR, mustCBOR(t, map[string]any{"StreamModeDetails": "x"}), &CreateStreamInput{}, "Expected null"},
		{CBOR, mustCBOR(t, map[string]any{"Tags": []any{}}), &CreateStreamInput{}, "Start of list found where not expected"},
		{CBOR, mustCBOR(t, map[string]any{"Tags": 1}), &CreateStreamInput{}, "Expected map or null"},
		{CBOR, mustCBOR(t, map[string]any{"Records": []any{map[string]any{"Data": "YQ="}}}), &PutRecordsInput{}, "Invalid Base64 encoded blob"},
		{CBOR, mustCBOR(t, map[string]any{"Timestamp": "1"}), &GetShardIteratorInput{}, "STRING_VALUE can not be converted to milliseconds since epoch"},
		{CBOR, mustCBOR(t, map[string]any{"Timestamp": cbor.Tag{Number: 0, Content: "2020-01-01T00:00:00Z"}}), &GetShardIteratorInput{}, "Unexpected CBOR tag 0 for a timestamp"},
	}
	for _, tt := range tests {
		err := tt.codec.Decode(tt.body, tt.into)
		var serr *SerializationError
		if !errors.As(err, &serr) {
			t.Errorf("%v %q: got %v, want a *SerializationError", tt.codec, tt.body, err)
			continue
		}
		if tt.msg != "" && serr.Message != tt.msg {
			t.Errorf("%v %q: Message = %q, want %q", tt.codec, tt.body, serr.Message, tt.msg)
		}
		if tt.msg == "" && serr.Message != "" && !strings.Contains(serr.Error(), serr.Message) {
			t.Errorf("%v %q: Error() %q lacks Message", tt.codec, tt.body, serr.Error())
		}
	}
}

func mustCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
