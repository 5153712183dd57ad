package shape

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// validationCase is a request body and the violations AWS reports for it.
type validationCase struct {
	name string
	op   string
	body string
	want []string // nil: valid
}

// The cases marked "kinesalite" are from kinesalite's test/<op>.js, which
// were recorded from Kinesis; "adapted" ones changed a limit or member
// that the model has changed since.
var validationCases = []validationCase{
	{
		name: "kinesalite putRecords.js: empty StreamName",
		op:   "PutRecords", body: `{"StreamName":"","Records":[]}`,
		want: []string{
			"Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	},
	{
		name: "kinesalite putRecords.js: long StreamName",
		op:   "PutRecords", body: `{"StreamName":"` + strings.Repeat("a", 129) + `","Records":[{"PartitionKey":"a","Data":""}]}`,
		want: []string{
			"Value '" + strings.Repeat("a", 129) + "' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128",
		},
	},
	{
		name: "kinesalite createStream.js: empty StreamName",
		op:   "CreateStream", body: `{"StreamName":"","ShardCount":0}`,
		want: []string{
			"Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	},
	{
		name: "kinesalite putRecord.js: empty StreamName",
		op:   "PutRecord", body: `{"StreamName":"","PartitionKey":"","Data":"","ExplicitHashKey":"","SequenceNumberForOrdering":""}`,
		want: []string{
			"Value '' at 'sequenceNumberForOrdering' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})",
			"Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
			"Value '' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	},
	{
		name: "kinesalite putRecord.js: no StreamName, adapted (StreamName is optional now)",
		op:   "PutRecord", body: `{}`,
		want: []string{
			"Value null at 'partitionKey' failed to satisfy constraint: Member must not be null",
			"Value null at 'data' failed to satisfy constraint: Member must not be null",
		},
	},
	{
		name: "kinesalite getShardIterator.js: no StreamName, adapted (StreamName is optional now)",
		op:   "GetShardIterator", body: `{}`,
		want: []string{
			"Value null at 'shardId' failed to satisfy constraint: Member must not be null",
			"Value null at 'shardIteratorType' failed to satisfy constraint: Member must not be null",
		},
	},
	{
		name: "kinesalite getShardIterator.js: empty StreamName",
		op:   "GetShardIterator", body: `{"StreamName":"","ShardIteratorType":"","ShardId":"","StartingSequenceNumber":""}`,
		want: []string{
			"Value '' at 'shardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'shardId' failed to satisfy constraint: Member must have length greater than or equal to 1",
			"Value '' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]",
			"Value '' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})",
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	},
	{
		name: "kinesalite getShardIterator.js: long StreamName",
		op:   "GetShardIterator", body: `{"StreamName":"` + strings.Repeat("a", 129) + `","ShardId":"` + strings.Repeat("a", 129) + `","ShardIteratorType":"LATEST"}`,
		want: []string{
			"Value '" + strings.Repeat("a", 129) + "' at 'shardId' failed to satisfy constraint: Member must have length less than or equal to 128",
			"Value '" + strings.Repeat("a", 129) + "' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128",
		},
	},
	{
		name: "kinesalite listShards.js: empty StreamName, adapted (Limit is now MaxResults)",
		op:   "ListShards", body: `{"StreamName":"","MaxResults":0,"ExclusiveStartShardId":""}`,
		want: []string{
			"Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
			"Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must have length greater than or equal to 1",
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	},
	{
		name: "kinesalite listShards.js: long StreamName, adapted (Limit is now MaxResults)",
		op:   "ListShards", body: `{"StreamName":"` + strings.Repeat("a", 129) + `","MaxResults":100000,"ExclusiveStartShardId":"` + strings.Repeat("a", 129) + `"}`,
		want: []string{
			"Value '100000' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10000",
			"Value '" + strings.Repeat("a", 129) + "' at 'exclusiveStartShardId' failed to satisfy constraint: Member must have length less than or equal to 128",
			"Value '" + strings.Repeat("a", 129) + "' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128",
		},
	},
	{
		name: "kinesalite addTagsToStream.js: empty StreamName",
		op:   "AddTagsToStream", body: `{"StreamName":"","Tags":{}}`,
		want: []string{
			"Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1",
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	},
	{
		name: "kinesalite removeTagsFromStream.js: empty StreamName",
		op:   "RemoveTagsFromStream", body: `{"StreamName":"","TagKeys":[]}`,
		want: []string{
			"Value '[]' at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1",
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	},
	{
		name: "kinesalite removeTagsFromStream.js: long TagKey",
		op:   "RemoveTagsFromStream", body: `{"StreamName":"s","TagKeys":["a","` + strings.Repeat("a", 129) + `","b"]}`,
		want: []string{
			"Value '[a, " + strings.Repeat("a", 129) + ", b]' at 'tagKeys' failed to satisfy constraint: " +
				"Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
		},
	},
	{
		name: "kinesalite removeTagsFromStream.js: too many TagKeys, adapted (the limit is 50 now)",
		op:   "RemoveTagsFromStream", body: `{"StreamName":"s","TagKeys":` + numberedList(51) + `}`,
		want: []string{
			"Value '[" + numberedItems(51) + "]' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50",
		},
	},
	{
		name: "nested list entries are named by 1-based index",
		op:   "PutRecords", body: `{"StreamName":"s","Records":[{"PartitionKey":"a","Data":""},{"Data":"","ExplicitHashKey":"x"}]}`,
		want: []string{
			"Value 'x' at 'records.2.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
			"Value null at 'records.2.member.partitionKey' failed to satisfy constraint: Member must not be null",
		},
	},
	{
		name: "lists of structures render as Name(member=value)",
		op:   "PutRecords", body: `{"Records":` + recordList(501) + `}`,
		want: []string{
			"Value '[" + strings.TrimSuffix(strings.Repeat("PutRecordsRequestEntry(data=java.nio.HeapByteBuffer[pos=0 lim=1 cap=1], partitionKey=k), ", 501), ", ") +
				"]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500",
		},
	},
	{
		name: "nested structures",
		op:   "SubscribeToShard", body: `{"ConsumerARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1","ShardId":"shardId-0","StartingPosition":{"SequenceNumber":"01"}}`,
		want: []string{
			"Value null at 'startingPosition.type' failed to satisfy constraint: Member must not be null",
			"Value '01' at 'startingPosition.sequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})",
		},
	},
	{
		name: "list members with an enum",
		op:   "EnableEnhancedMonitoring", body: `{"StreamName":"s","ShardLevelMetrics":["ALL","Bogus"]}`,
		want: []string{
			"Value '[ALL, Bogus]' at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: " +
				"[ALL, WriteProvisionedThroughputExceeded, IteratorAgeMilliseconds, IncomingBytes, OutgoingRecords, ReadProvisionedThroughputExceeded, IncomingRecords, OutgoingBytes]]",
		},
	},
	{
		name: "map keys and values",
		op:   "AddTagsToStream", body: `{"StreamName":"s","Tags":{"":"v","k":"` + strings.Repeat("v", 257) + `"}}`,
		want: []string{
			"Value '{=v, k=" + strings.Repeat("v", 257) + "}' at 'tags' failed to satisfy constraint: " +
				"Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
			"Value '{=v, k=" + strings.Repeat("v", 257) + "}' at 'tags' failed to satisfy constraint: " +
				"Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]",
		},
	},
	{
		name: "blob length",
		op:   "PutRecord", body: `{"StreamName":"s","PartitionKey":"k","Data":"` + strings.Repeat("AAAA", 10485762/3) + `"}`,
		want: []string{
			"Value 'java.nio.HeapByteBuffer[pos=0 lim=10485762 cap=10485762]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 10485760",
		},
	},
	{
		name: "patterns match the whole value",
		op:   "DescribeStreamConsumer", body: `{"ConsumerARN":"xarn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1 "}`,
		want: []string{
			"Value 'xarn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1 ' at 'consumerARN' failed to satisfy constraint: " +
				`Member must satisfy regular expression pattern: ^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`,
		},
	},
	{
		name: "lengths count UTF-16 code units",
		op:   "PutRecord", body: `{"StreamName":"s","Data":"","PartitionKey":"` + strings.Repeat("😀", 129) + `"}`,
		want: []string{
			"Value '" + strings.Repeat("😀", 129) + "' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256",
		},
	},
	{
		name: "at most ten violations are listed",
		op:   "PutRecords", body: `{"Records":[{},{},{},{},{},{}]}`,
		want: []string{
			"Value null at 'records.1.member.data' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.1.member.partitionKey' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.2.member.data' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.2.member.partitionKey' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.3.member.data' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.3.member.partitionKey' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.4.member.data' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.4.member.partitionKey' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.5.member.data' failed to satisfy constraint: Member must not be null",
			"Value null at 'records.5.member.partitionKey' failed to satisfy constraint: Member must not be null",
		},
	},
	{name: "valid PutRecords", op: "PutRecords", body: `{"StreamName":"s","Records":[{"PartitionKey":"a","Data":"","ExplicitHashKey":"340282366920938463463374607431768211455"}]}`},
	{name: "valid StreamARN", op: "DescribeStreamSummary", body: `{"StreamARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s"}`},
	{name: "valid empty input", op: "DescribeLimits", body: `{}`},
	{name: "valid map", op: "AddTagsToStream", body: `{"StreamName":"s","Tags":{"k":""}}`},
	{name: "valid UTF-16 length", op: "PutRecord", body: `{"StreamName":"s","Data":"","PartitionKey":"` + strings.Repeat("😀", 128) + `"}`},
}

func TestValidate(t *testing.T) {
	for _, tt := range validationCases {
		t.Run(tt.name, func(t *testing.T) {
			in, ok := NewInput(tt.op)
			if !ok {
				t.Fatalf("NewInput(%q) failed", tt.op)
			}
			if err := JSON.Decode([]byte(tt.body), in); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			err := in.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			// AWS's order is not stable; compare as sets, like kinesalite.
			got, want := slices.Sorted(slices.Values(verr.Errors)), slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("errors:\n got %q\nwant %q", verr.Errors, tt.want)
			}
			prefix := strconv.Itoa(len(tt.want)) + " validation error"
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("message %q does not start with %q", err.Error(), prefix)
			}
		})
	}
}

// TestValidateOrder pins this package's order: model member order, then
// null, enum, pattern, minimum, maximum within a member.
func TestValidateOrder(t *testing.T) {
	in := &PutRecordInput{StreamName: ptr(""), PartitionKey: ptr(""), Data: []byte{}, ExplicitHashKey: ptr(""), SequenceNumberForOrdering: ptr("")}
	want := "5 validation errors detected: " +
		"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
		"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
		"Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
		"Value '' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38}); " +
		"Value '' at 'sequenceNumberForOrdering' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"
	if err := in.Validate(); err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	one := &GetRecordsInput{}
	if err := one.Validate(); err == nil || err.Error() != "1 validation error detected: Value null at 'shardIterator' failed to satisfy constraint: Member must not be null" {
		t.Errorf("got %v", err)
	}
}

func TestNewInput(t *testing.T) {
	if len(Operations) != 39 || !slices.IsSorted(Operations) {
		t.Fatalf("Operations: %d names, sorted %v", len(Operations), slices.IsSorted(Operations))
	}
	for _, op := range Operations {
		in, ok := NewInput(op)
		if !ok || in == nil {
			t.Errorf("NewInput(%q) = %v, %v", op, in, ok)
			continue
		}
		if name := strings.TrimPrefix(reflectName(in), "*shape."); name != op+"Input" {
			t.Errorf("NewInput(%q) is a %s", op, name)
		}
	}
	if in, ok := NewInput("Bogus"); ok || in != nil {
		t.Errorf("NewInput(Bogus) = %v, %v", in, ok)
	}
}

func TestJavaHashOrder(t *testing.T) {
	// Enum sets as AWS services print them (model order first). The
	// DynamoDB, Lambda, SES and Cognito examples were measured against AWS
	// by other emulators' authors.
	tests := []struct{ model, aws []string }{
		{[]string{"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST"},
			[]string{"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"}}, // kinesalite getShardIterator.js, 2014
		{[]string{"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"},
			[]string{"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"}}, // kinesalite getShardIterator.js
		{[]string{"INDEXES", "TOTAL", "NONE"}, []string{"INDEXES", "TOTAL", "NONE"}},
		{[]string{"None", "Tail"}, []string{"Tail", "None"}},
		{[]string{"EmailAddress", "Domain"}, []string{"Domain", "EmailAddress"}},
		{[]string{"OFF", "ON", "OPTIONAL"}, []string{"OPTIONAL", "OFF", "ON"}},
	}
	for _, tt := range tests {
		if got := javaHashOrder(tt.model); !slices.Equal(got, tt.aws) {
			t.Errorf("javaHashOrder(%q) = %q, want %q", tt.model, got, tt.aws)
		}
	}
	if h := javaHashCode("😀a"); h != 54959966 {
		t.Errorf(`javaHashCode("😀a") = %d, want 54959966 (Java's "\uD83D\uDE00a".hashCode())`, h)
	}
}

func numberedItems(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = strconv.Itoa(i + 1)
	}
	return strings.Join(items, ", ")
}

func numberedList(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = strconv.Quote(strconv.Itoa(i + 1))
	}
	return "[" + strings.Join(items, ",") + "]"
}

func recordList(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(`{"PartitionKey":"k","Data":"YQ=="},`, n), ",") + "]"
}
