package producer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

const codeThrottled = "ProvisionedThroughputExceededException"

// retryableEntry reports whether a PutRecords entry's error is worth
// retrying: throttling and internal failures are; errors of the stream's
// KMS key (other than its throttling) and of access are not.
func retryableEntry(code string) bool {
	switch {
	case code == "KMSThrottlingException":
		return true
	case strings.HasPrefix(code, "KMS"), code == "AccessDeniedException":
		return false
	}
	return true
}

// retryableCall reports whether a failed PutRecords call is worth
// retrying: any transport error or timeout, throttling and server errors
// are; requests the service refuses as wrong are not.
func retryableCall(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return true
	}
	switch code := api.ErrorCode(); code {
	case "ResourceNotFoundException", "InvalidArgumentException", "ValidationException",
		"AccessDeniedException", "UnrecognizedClientException", "MissingAuthenticationTokenException":
		return false
	default:
		return retryableEntry(code)
	}
}

// backoff is the wait before attempt+1: lo doubled per attempt up to
// hi, its upper half random ("equal jitter"), so that throttled producers
// spread out without waiting less than half the backoff.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := hi
	if attempt < 32 && lo<<(attempt-1) > 0 && lo<<(attempt-1) < hi {
		d = lo << (attempt - 1)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// expired is the error of a user record whose TTL passed.
func expired(u *userRecord, ttl time.Duration) error {
	if u.lastErr == nil {
		return fmt.Errorf("%w: TTL %v, %d attempts", ErrRecordExpired, ttl, u.attempts)
	}
	return fmt.Errorf("%w: TTL %v, %d attempts, last error: %w", ErrRecordExpired, ttl, u.attempts, u.lastErr)
}
