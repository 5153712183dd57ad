package aggregation

import (
	"crypto/md5"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf8"
)

// Errors for keys Kinesis would refuse.
var (
	ErrPartitionKey    = errors.New("aggregation: partition key must be 1 to 256 Unicode characters")
	ErrExplicitHashKey = errors.New("aggregation: explicit hash key must be a decimal integer in [0, 2^128-1]")
)

// MaxPartitionKeyLength is Kinesis's limit on a partition key, in Unicode
// characters.
const MaxPartitionKeyLength = 256

// HashKey returns the 128-bit hash key, big-endian, that Kinesis routes a
// record by: explicitHashKey if it is not "", else the MD5 of the UTF-8
// partition key. It checks both keys as Kinesis does.
func HashKey(partitionKey, explicitHashKey string) ([16]byte, error) {
	explicit, err := checkKeys(partitionKey, explicitHashKey)
	switch {
	case err != nil:
		return [16]byte{}, err
	case explicit == nil:
		return md5.Sum([]byte(partitionKey)), nil
	}
	var key [16]byte
	explicit.FillBytes(key[:])
	return key, nil
}

// checkKeys checks the keys as Kinesis does and returns the explicit hash
// key as a number, nil if there is none.
func checkKeys(partitionKey, explicitHashKey string) (*big.Int, error) {
	if n := utf8.RuneCountInString(partitionKey); n == 0 || n > MaxPartitionKeyLength || !utf8.ValidString(partitionKey) {
		return nil, fmt.Errorf("%w: got %d bytes", ErrPartitionKey, len(partitionKey))
	}
	if explicitHashKey == "" {
		return nil, nil
	}
	if !decimalHashKey(explicitHashKey) {
		return nil, fmt.Errorf("%w: %.50q", ErrExplicitHashKey, explicitHashKey)
	}
	k, _ := new(big.Int).SetString(explicitHashKey, 10)
	if k.Cmp(maxHashKey) > 0 {
		return nil, fmt.Errorf("%w: %.50q", ErrExplicitHashKey, explicitHashKey)
	}
	return k, nil
}

// decimalHashKey matches Kinesis's pattern for hash keys, 0|([1-9]\d{0,38}).
func decimalHashKey(s string) bool {
	if s == "0" {
		return true
	}
	if len(s) == 0 || len(s) > 39 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
