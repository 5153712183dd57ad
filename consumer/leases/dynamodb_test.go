package leases

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/runnel-dev/runnel/consumer/internal/dynalitetest"
)

// TestDynamoDB runs the Store contract against dynalite, each subtest in a
// table of its own.
func TestDynamoDB(t *testing.T) {
	client := dynalitetest.Start(t)
	var n int
	testStore(t, func(t *testing.T) Store {
		n++
		s := NewDynamoDB(client, fmt.Sprintf("leases-%d", n))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.CreateTable(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestDynamoDBTable checks the table's key schema and that CreateTable may
// run again on an existing table, as every worker's start does.
func TestDynamoDBTable(t *testing.T) {
	client := dynalitetest.Start(t)
	ctx := context.Background()
	s := NewDynamoDB(client, "app")
	for range 2 {
		if err := s.CreateTable(ctx); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	ks := out.Table.KeySchema
	if len(ks) != 1 || aws.ToString(ks[0].AttributeName) != "leaseKey" || ks[0].KeyType != types.KeyTypeHash {
		t.Fatalf("key schema = %+v", ks)
	}
	// The item carries the KCL's attribute names and types.
	l := shardLease("shardId-000000000000", "shardId-000000000009")
	mustCreate(t, s, l)
	if _, err := s.Take(ctx, l, "worker-1"); err != nil {
		t.Fatal(err)
	}
	item, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("app"), Key: keyOf(l.Key)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"leaseKey": "S", "leaseOwner": "S", "leaseCounter": "N", "ownerSwitchesSinceCheckpoint": "N",
		"checkpoint": "S", "checkpointSubSequenceNumber": "N", "parentShardId": "SS",
		"startingHashKey": "S", "endingHashKey": "S",
	}
	for name, typ := range want {
		if got := attrType(item.Item[name]); got != typ {
			t.Errorf("attribute %s: type %q, want %q", name, got, typ)
		}
	}
}

func attrType(v types.AttributeValue) string {
	switch v.(type) {
	case *types.AttributeValueMemberS:
		return "S"
	case *types.AttributeValueMemberN:
		return "N"
	case *types.AttributeValueMemberSS:
		return "SS"
	case nil:
		return ""
	}
	return fmt.Sprintf("%T", v)
}
