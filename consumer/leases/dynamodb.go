package leases

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the part of *dynamodb.Client the DynamoDB store uses.
type DynamoDBAPI interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ DynamoDBAPI = (*dynamodb.Client)(nil)

// Attribute names of the KCL's lease table.
const (
	attrKey            = "leaseKey"
	attrOwner          = "leaseOwner"
	attrCounter        = "leaseCounter"
	attrOwnerSwitches  = "ownerSwitchesSinceCheckpoint"
	attrCheckpoint     = "checkpoint"
	attrSubSequence    = "checkpointSubSequenceNumber"
	attrParents        = "parentShardId"
	attrChildren       = "childShardIds"
	attrStartingHash   = "startingHashKey"
	attrEndingHash     = "endingHashKey"
	tableStatusPolling = 100 * time.Millisecond
)

// DynamoDB is a Store in a DynamoDB table whose items follow the KCL's
// lease table. Every ownership change is a conditional write.
type DynamoDB struct {
	client DynamoDBAPI
	table  string
}

var _ Store = (*DynamoDB)(nil)

// NewDynamoDB returns a store in the named table. The table must exist;
// CreateTable creates it.
func NewDynamoDB(client DynamoDBAPI, table string) *DynamoDB {
	return &DynamoDB{client: client, table: table}
}

// CreateTable creates the table (hash key leaseKey, on-demand billing) if
// it does not exist, and waits until it is ACTIVE.
func (d *DynamoDB) CreateTable(ctx context.Context) error {
	_, err := d.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            &d.table,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(attrKey), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(attrKey), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) { // in use: it exists already
		return fmt.Errorf("leases: create table %s: %w", d.table, err)
	}
	return d.waitActive(ctx)
}

func (d *DynamoDB) waitActive(ctx context.Context) error {
	tick := time.NewTicker(tableStatusPolling)
	defer tick.Stop()
	for {
		out, err := d.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &d.table})
		if err != nil {
			return fmt.Errorf("leases: describe table %s: %w", d.table, err)
		}
		if out.Table != nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("leases: table %s not active: %w", d.table, ctx.Err())
		case <-tick.C:
		}
	}
}

// Create implements Store.
func (d *DynamoDB) Create(ctx context.Context, l Lease) (bool, error) {
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           &d.table,
		Item:                marshal(l),
		ConditionExpression: aws.String("attribute_not_exists(" + attrKey + ")"),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("leases: create %s: %w", l.Key, err)
	}
	return true, nil
}

// Get implements Store.
func (d *DynamoDB) Get(ctx context.Context, key string) (Lease, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &d.table,
		Key:            keyOf(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Lease{}, fmt.Errorf("leases: get %s: %w", key, err)
	}
	if out.Item == nil {
		return Lease{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return unmarshal(out.Item)
}

// List implements Store with a consistent scan of the whole table.
func (d *DynamoDB) List(ctx context.Context) ([]Lease, error) {
	var out []Lease
	in := &dynamodb.ScanInput{TableName: &d.table, ConsistentRead: aws.Bool(true)}
	for {
		page, err := d.client.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("leases: scan %s: %w", d.table, err)
		}
		for _, item := range page.Items {
			l, err := unmarshal(item)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// Take implements Store.
func (d *DynamoDB) Take(ctx context.Context, l Lease, owner string) (Lease, error) {
	return d.update(ctx, l, false, update{
		set: "leaseOwner = :owner, ownerSwitchesSinceCheckpoint = if_not_exists(ownerSwitchesSinceCheckpoint, :zero) + :one",
		values: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: owner},
			":zero":  number(0),
		},
	})
}

// Renew implements Store.
func (d *DynamoDB) Renew(ctx context.Context, l Lease) (Lease, error) {
	return d.update(ctx, l, true, update{})
}

// Checkpoint implements Store.
func (d *DynamoDB) Checkpoint(ctx context.Context, l Lease) (Lease, error) {
	u := update{
		set: "checkpoint = :cp, checkpointSubSequenceNumber = :sub, ownerSwitchesSinceCheckpoint = :zero",
		values: map[string]types.AttributeValue{
			":cp":   &types.AttributeValueMemberS{Value: l.Checkpoint.SequenceNumber},
			":sub":  number(int64(l.Checkpoint.SubSequenceNumber)),
			":zero": number(0),
		},
	}
	if len(l.ChildShardIDs) > 0 {
		u.set += ", childShardIds = :children"
		u.values[":children"] = &types.AttributeValueMemberSS{Value: l.ChildShardIDs}
	} else {
		u.remove = attrChildren
	}
	return d.update(ctx, l, true, u)
}

// Release implements Store.
func (d *DynamoDB) Release(ctx context.Context, l Lease) (Lease, error) {
	return d.update(ctx, l, true, update{remove: attrOwner})
}

// Delete implements Store.
func (d *DynamoDB) Delete(ctx context.Context, l Lease) error {
	_, err := d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &d.table,
		Key:                       keyOf(l.Key),
		ConditionExpression:       aws.String("leaseCounter = :counter"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":counter": number(l.Counter)},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("%w: %s", ErrConflict, l.Key)
	}
	if err != nil {
		return fmt.Errorf("leases: delete %s: %w", l.Key, err)
	}
	return nil
}

// update is a change to a lease besides the counter increment that every
// update makes: assignments to SET and an attribute to REMOVE.
type update struct {
	set    string
	remove string
	values map[string]types.AttributeValue
}

// update writes u if the stored lease still has l's counter (and owner,
// with sameOwner), incrementing the counter, and returns the new version.
func (d *DynamoDB) update(ctx context.Context, l Lease, sameOwner bool, u update) (Lease, error) {
	values := map[string]types.AttributeValue{":counter": number(l.Counter), ":one": number(1)}
	for k, v := range u.values {
		values[k] = v
	}
	expr := "SET leaseCounter = leaseCounter + :one"
	if u.set != "" {
		expr += ", " + u.set
	}
	if u.remove != "" {
		expr += " REMOVE " + u.remove
	}
	cond := "leaseCounter = :counter"
	if sameOwner {
		cond += " AND " + ownerCondition(l.Owner, values)
	}
	out, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &d.table,
		Key:                       keyOf(l.Key),
		UpdateExpression:          &expr,
		ConditionExpression:       &cond,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		return Lease{}, fmt.Errorf("%w: %s", ErrConflict, l.Key)
	}
	if err != nil {
		return Lease{}, fmt.Errorf("leases: update %s: %w", l.Key, err)
	}
	return unmarshal(out.Attributes)
}

// ownerCondition is the condition that the lease is owned by owner (or by
// no one, for an empty owner).
func ownerCondition(owner string, values map[string]types.AttributeValue) string {
	if owner == "" {
		return "attribute_not_exists(" + attrOwner + ")"
	}
	values[":expectedOwner"] = &types.AttributeValueMemberS{Value: owner}
	return attrOwner + " = :expectedOwner"
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func keyOf(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key}}
}

func number(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// marshal encodes a lease as a lease table item. Empty strings and sets
// are left out (DynamoDB rejects empty sets).
func marshal(l Lease) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrKey:           &types.AttributeValueMemberS{Value: l.Key},
		attrCounter:       number(l.Counter),
		attrOwnerSwitches: number(l.OwnerSwitchesSinceCheckpoint),
		attrCheckpoint:    &types.AttributeValueMemberS{Value: l.Checkpoint.SequenceNumber},
		attrSubSequence:   number(int64(l.Checkpoint.SubSequenceNumber)),
	}
	putString(item, attrOwner, l.Owner)
	putString(item, attrStartingHash, l.StartingHashKey)
	putString(item, attrEndingHash, l.EndingHashKey)
	if len(l.ParentShardIDs) > 0 {
		item[attrParents] = &types.AttributeValueMemberSS{Value: l.ParentShardIDs}
	}
	if len(l.ChildShardIDs) > 0 {
		item[attrChildren] = &types.AttributeValueMemberSS{Value: l.ChildShardIDs}
	}
	return item
}

func putString(item map[string]types.AttributeValue, name, v string) {
	if v != "" {
		item[name] = &types.AttributeValueMemberS{Value: v}
	}
}

// unmarshal decodes a lease table item.
func unmarshal(item map[string]types.AttributeValue) (Lease, error) {
	var l Lease
	var sub int64
	var err error
	l.Key = stringAttr(item, attrKey)
	l.Owner = stringAttr(item, attrOwner)
	l.Checkpoint.SequenceNumber = stringAttr(item, attrCheckpoint)
	l.StartingHashKey = stringAttr(item, attrStartingHash)
	l.EndingHashKey = stringAttr(item, attrEndingHash)
	l.ParentShardIDs = setAttr(item, attrParents)
	l.ChildShardIDs = setAttr(item, attrChildren)
	for _, n := range []struct {
		name string
		dst  *int64
	}{{attrCounter, &l.Counter}, {attrOwnerSwitches, &l.OwnerSwitchesSinceCheckpoint}, {attrSubSequence, &sub}} {
		if *n.dst, err = numberAttr(item, n.name); err != nil {
			return Lease{}, fmt.Errorf("leases: item %q: %w", l.Key, err)
		}
	}
	if l.Key == "" {
		return Lease{}, fmt.Errorf("leases: item without %s", attrKey)
	}
	l.Checkpoint.SubSequenceNumber = uint64(max(sub, 0))
	return l, nil
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func setAttr(item map[string]types.AttributeValue, name string) []string {
	if v, ok := item[name].(*types.AttributeValueMemberSS); ok {
		return v.Value
	}
	return nil
}

func numberAttr(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s: %w", name, err)
	}
	return n, nil
}
