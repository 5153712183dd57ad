package kinesisapi

import "time"

// Helpers between the shapes' pointer fields and plain values.

func str(s string) *string { return &s }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefInt(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func derefBool(p *bool) bool { return p != nil && *p }

func int32p(n int) *int32 {
	v := int32(n)
	return &v
}

// nonNil returns s, or an empty slice for nil, for list members that must
// be sent as [] rather than omitted or null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms) }
