package shape

import (
	"reflect"
	"testing"
)

// fuzzTargets are the inputs the fuzzers decode into.
func fuzzTargets() []Input {
	return []Input{&PutRecordsInput{}, &GetShardIteratorInput{}, &ListShardsInput{}, &CreateStreamInput{}}
}

// fuzzDecode decodes body into every target, validates what decoded, and
// checks that errors have the documented types.
func fuzzDecode(t *testing.T, c Codec, body []byte) {
	for _, in := range fuzzTargets() {
		if err := c.Decode(body, in); err != nil {
			if _, ok := err.(*SerializationError); !ok {
				t.Fatalf("Decode(%T) returned %T: %v", in, err, err)
			}
			continue
		}
		if err := in.Validate(); err != nil {
			verr, ok := err.(*ValidationError)
			if !ok || len(verr.Errors) == 0 || len(verr.Errors) > maxListedErrors {
				t.Fatalf("Validate(%T) returned %#v", in, err)
			}
			_ = verr.Error()
			continue
		}
		// What decodes and validates re-encodes and decodes to itself.
		again, err := c.Encode(in)
		if err != nil {
			t.Fatalf("Encode(%T): %v", in, err)
		}
		fresh := reflect.New(reflect.TypeOf(in).Elem()).Interface()
		if err := c.Decode(again, fresh); err != nil {
			t.Fatalf("Decode(Encode(%T)): %v\n%x", in, err, again)
		}
		if !reflect.DeepEqual(fresh, in) {
			t.Fatalf("%T round trip:\n got %+v\nwant %+v", in, fresh, in)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`, `[]`, `null`, ``,
		`{"StreamName":"s","Records":[{"Data":"YQ==","PartitionKey":"k","ExplicitHashKey":"1"}]}`,
		`{"StreamName":"s","ShardId":"shardId-0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1.45979992648E9}`,
		`{"StreamName":"s","MaxResults":5,"ShardFilter":{"Type":"AT_TIMESTAMP","Timestamp":1607497475.123}}`,
		`{"StreamName":"s","ShardCount":1,"Tags":{"a":"b"},"StreamModeDetails":{"StreamMode":"ON_DEMAND"}}`,
		`{"Records":[{},{"Data":1}],"StreamName":true}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDecode(t, JSON, body)
	})
}

func FuzzDecodeCBOR(f *testing.F) {
	seeds := []any{
		map[string]any{"StreamName": "s", "Records": []any{map[string]any{"Data": []byte("a"), "PartitionKey": "k"}}},
		map[string]any{"Records": []any{map[string]any{"Data": "YQ==", "PartitionKey": "k"}}},
		map[string]any{"ShardId": "shardId-0", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1607497475123},
		map[string]any{"ShardFilter": map[string]any{"Type": "AT_TIMESTAMP", "Timestamp": 1.5}},
		map[string]any{"StreamName": "s", "ShardCount": 1, "Tags": map[string]any{"a": "b"}},
	}
	for _, s := range seeds {
		f.Add(mustCBOR(f, s))
	}
	f.Add([]byte{0xa1, 0x69, 'T', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p', 0xc1, 0x1b, 0, 0, 1, 0x76, 0x46, 0x50, 0xe4, 0x33})
	f.Add([]byte{0xbf, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDecode(t, CBOR, body)
	})
}
