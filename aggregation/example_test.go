package aggregation_test

import (
	"fmt"

	"github.com/runnel-dev/runnel/aggregation"
)

func Example() {
	var a aggregation.Aggregator
	for _, r := range []struct{ key, value string }{{"user-1", "login"}, {"user-2", "click"}, {"user-1", "logout"}} {
		if err := a.Add(r.key, "", []byte(r.value)); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("aggregated size:", a.Size())
	data, partitionKey, _, n := a.Drain()
	fmt.Printf("one Kinesis record of %d bytes, partition key %s, %d user records\n", len(data), partitionKey, n)

	// What a consumer reads back from the stream, split into user records.
	stored := aggregation.Record{SequenceNumber: "49590338271490256608559692538361571095921575989136588898", PartitionKey: partitionKey, Data: data}
	for _, u := range aggregation.Deaggregate(stored, nil) {
		fmt.Printf("%d %s %s\n", u.SubSequenceNumber, u.PartitionKey, u.Data)
	}
	// Output:
	// aggregated size: 70
	// one Kinesis record of 70 bytes, partition key user-1, 3 user records
	// 0 user-1 login
	// 1 user-2 click
	// 2 user-1 logout
}
