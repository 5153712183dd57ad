package main

import "testing"

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"192MiB", 192 << 20, true},
		{"2GiB", 2 << 30, true},
		{"64KiB", 64 << 10, true},
		{"1048576", 1 << 20, true},
		{"100B", 100, true},
		{"", 0, false},
		{"0MiB", 0, false},
		{"-5MiB", 0, false},
		{"12MB", 0, false},
		{"MiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseBytes(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDurableProcs(t *testing.T) {
	for _, tc := range []struct {
		env     string
		current int
		want    int
	}{
		{"", 1, minDurableProcs}, // one CPU: raised
		{"", 2, 0},
		{"", 8, 0},
		{"1", 1, 0}, // set explicitly: kept
	} {
		if got := durableProcs(tc.env, tc.current); got != tc.want {
			t.Errorf("durableProcs(%q, %d) = %d, want %d", tc.env, tc.current, got, tc.want)
		}
	}
}
