package producer

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// hashKey is a 128-bit hash key, big-endian, so that bytes.Compare orders
// hash keys as numbers.
type hashKey = [16]byte

// shardRange is an open shard and its closed hash-key range.
type shardRange struct {
	id         string
	start, end hashKey
}

// listShards fetches the stream's open shards, sorted by starting hash key,
// as the KPL does (ListShards with ShardFilter AT_LATEST).
func listShards(ctx context.Context, c Client, s streamRef) ([]shardRange, error) {
	in := &kinesis.ListShardsInput{
		ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest},
		MaxResults:  aws.Int32(1000),
	}
	s.setList(in)
	var out []shardRange
	for {
		resp, err := c.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("producer: list shards: %w", err)
		}
		for _, sh := range resp.Shards {
			r, err := parseShard(sh)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if resp.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: resp.NextToken, MaxResults: aws.Int32(1000)}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("producer: list shards: stream %s has no open shards", s)
	}
	slices.SortFunc(out, func(a, b shardRange) int { return bytes.Compare(a.start[:], b.start[:]) })
	return out, nil
}

func parseShard(sh types.Shard) (shardRange, error) {
	r := shardRange{id: aws.ToString(sh.ShardId)}
	if sh.HashKeyRange == nil {
		return r, fmt.Errorf("producer: list shards: shard %s has no hash key range", r.id)
	}
	var ok bool
	if r.start, ok = parseHashKey(aws.ToString(sh.HashKeyRange.StartingHashKey)); !ok {
		return r, fmt.Errorf("producer: list shards: shard %s: bad starting hash key", r.id)
	}
	if r.end, ok = parseHashKey(aws.ToString(sh.HashKeyRange.EndingHashKey)); !ok {
		return r, fmt.Errorf("producer: list shards: shard %s: bad ending hash key", r.id)
	}
	return r, nil
}

func parseHashKey(s string) (k hashKey, ok bool) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 || n.BitLen() > 128 {
		return k, false
	}
	n.FillBytes(k[:])
	return k, true
}

// lookup returns the index of the shard whose range holds k: the last
// shard starting at or below k. Open shards cover the hash-key space, so
// one always does; a key below the first start maps to the first shard.
func lookup(shards []shardRange, k hashKey) int {
	i, found := slices.BinarySearchFunc(shards, k, func(s shardRange, k hashKey) int {
		return bytes.Compare(s.start[:], k[:])
	})
	if found || i == 0 {
		return i
	}
	return i - 1
}

// streamRef names the stream by name or, if it starts with "arn:", ARN.
type streamRef string

func (s streamRef) isARN() bool { return len(s) > 4 && s[:4] == "arn:" }

func (s streamRef) setList(in *kinesis.ListShardsInput) {
	if s.isARN() {
		in.StreamARN = aws.String(string(s))
	} else {
		in.StreamName = aws.String(string(s))
	}
}

func (s streamRef) setPut(in *kinesis.PutRecordsInput) {
	if s.isARN() {
		in.StreamARN = aws.String(string(s))
	} else {
		in.StreamName = aws.String(string(s))
	}
}
