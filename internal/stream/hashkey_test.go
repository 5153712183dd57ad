package stream

import (
	"crypto/md5"
	"math/big"
	"math/rand/v2"
	"testing"
)

func bigOf(k HashKey) *big.Int {
	b := new(big.Int).SetUint64(k.Hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(k.Lo))
}

func TestHashKeyStringRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []HashKey{{}, {Lo: 1}, {Lo: 1e19}, {Lo: ^uint64(0)}, {Hi: 1}, MaxHashKey}
	for i := 0; i < 1000; i++ {
		cases = append(cases, HashKey{Hi: r.Uint64() >> r.IntN(64), Lo: r.Uint64()})
	}
	for _, k := range cases {
		s := k.String()
		if want := bigOf(k).String(); s != want {
			t.Fatalf("String(%v) = %s, want %s", k, s, want)
		}
		got, err := ParseHashKey(s)
		if err != nil || got != k {
			t.Fatalf("ParseHashKey(%s) = %v, %v; want %v", s, got, err, k)
		}
	}
}

func TestParseHashKeyErrors(t *testing.T) {
	for _, s := range []string{"", "-1", "1a", "340282366920938463463374607431768211456", "99999999999999999999999999999999999999999"} {
		if _, err := ParseHashKey(s); err == nil {
			t.Errorf("ParseHashKey(%q) succeeded", s)
		}
	}
	if k, err := ParseHashKey("340282366920938463463374607431768211455"); err != nil || k != MaxHashKey {
		t.Errorf("max: %v %v", k, err)
	}
}

func TestPartitionHash(t *testing.T) {
	for _, pk := range []string{"a", "partition-1", "日本語"} {
		sum := md5.Sum([]byte(pk))
		want := new(big.Int).SetBytes(sum[:])
		if got := bigOf(PartitionHash(pk)); got.Cmp(want) != 0 {
			t.Errorf("PartitionHash(%q) = %s, want %s", pk, got, want)
		}
	}
}

func TestEvenRanges(t *testing.T) {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	for _, n := range []int{1, 2, 3, 4, 5, 7, 16, 100, 1000} {
		rs := EvenRanges(n)
		step := new(big.Int).Div(space, big.NewInt(int64(n)))
		for i, r := range rs {
			wantStart := new(big.Int).Mul(step, big.NewInt(int64(i)))
			if bigOf(r.Start).Cmp(wantStart) != 0 {
				t.Fatalf("n=%d shard %d start %s, want %s", n, i, r.Start, wantStart)
			}
			if i > 0 && r.Start != rs[i-1].End.Add(1) {
				t.Fatalf("n=%d shard %d not contiguous", n, i)
			}
		}
		if rs[n-1].End != MaxHashKey {
			t.Fatalf("n=%d last end %s", n, rs[n-1].End)
		}
	}
	// The documented AWS/kinesalite value for 4 shards.
	if got := EvenRanges(4)[0].End.String(); got != "85070591730234615865843651857942052863" {
		t.Errorf("4 shards: shard 0 ends at %s", got)
	}
}
