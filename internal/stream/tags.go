package stream

import (
	"regexp"
	"sort"

	"github.com/runnel-dev/runnel/internal/apierr"
)

// tagChars matches the characters AWS allows in tag keys and values:
// Unicode letters, digits, white space and _ . / = + - % @ : (kinesalite
// reproduces AWS's rule).
var tagChars = regexp.MustCompile(`^[\p{L}\p{N}\s_./=+\-%@:]*$`)

func checkTagChars(tags map[string]string) error {
	for k, v := range tags {
		if !tagChars.MatchString(k) || !tagChars.MatchString(v) {
			return apierr.New(apierr.InvalidArgument,
				"Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.")
		}
	}
	return nil
}

func tooManyTags(name, account string) error {
	return apierr.Errorf(apierr.InvalidArgument,
		"Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags associated with it.",
		name, account, MaxTags)
}

// mergeTags adds tags to *dst, failing (and changing nothing) if the result
// would exceed MaxTags.
func mergeTags(dst *map[string]string, tags map[string]string, tooMany func() error) error {
	if err := checkTagChars(tags); err != nil {
		return err
	}
	n := len(*dst)
	for k := range tags {
		if _, ok := (*dst)[k]; !ok {
			n++
		}
	}
	if n > MaxTags {
		return tooMany()
	}
	if *dst == nil {
		*dst = make(map[string]string, len(tags))
	}
	for k, v := range tags {
		(*dst)[k] = v
	}
	return nil
}

// AddTags adds or overwrites tags on a stream.
func (r *Registry) AddTags(s *Stream, tags map[string]string) error {
	return mergeTags(&s.Tags, tags, func() error { return tooManyTags(s.Name, r.cfg.AccountID) })
}

// RemoveTags removes the given keys from a stream's tags; absent keys are ignored.
func (r *Registry) RemoveTags(s *Stream, keys []string) {
	for _, k := range keys {
		delete(s.Tags, k)
	}
}

// SortedTags returns tags as sorted key/value pairs.
func SortedTags(tags map[string]string) [][2]string {
	out := make([][2]string, 0, len(tags))
	for k, v := range tags {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
