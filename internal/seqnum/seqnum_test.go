package seqnum

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// reference formats f the way kinesalite's stringifySequence does: it
// concatenates the fields as hex nibbles and converts with math/big. It
// shares no code with the package.
func reference(f Fields) string {
	hex := fmt.Sprintf("2%09x%x%016x00%09x%08x2",
		uint64(f.ShardCreated)&(1<<36-1),
		f.ShardIndex&0xf,
		f.Counter&(1<<63-1),
		uint64(f.Arrival)&(1<<36-1),
		f.ShardIndex&(1<<31-1))
	n, ok := new(big.Int).SetString(hex, 16)
	if !ok || len(hex) != 47 {
		panic("bad reference hex " + hex)
	}
	return n.String()
}

// randomFields returns valid fields, biased towards the edges of each range.
func randomFields(r *rand.Rand) Fields {
	pick := func(max uint64) uint64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return max
		default:
			return r.Uint64N(max + 1)
		}
	}
	return Fields{
		ShardCreated: int64(pick(MaxTime)),
		ShardIndex:   uint32(pick(MaxShardIndex)),
		Counter:      pick(MaxCounter),
		Arrival:      int64(pick(MaxTime)),
	}
}

// anyFields returns fields with every bit random, valid or not.
func anyFields(r *rand.Rand) Fields {
	return Fields{
		ShardCreated: int64(r.Uint64()),
		ShardIndex:   r.Uint32(),
		Counter:      r.Uint64(),
		Arrival:      int64(r.Uint64()),
	}
}

func TestWorkedExample(t *testing.T) {
	f := Fields{ShardCreated: 1700000000, ShardIndex: 5, Counter: 42, Arrival: 1700000123}
	const want = "49646437577219980142909529521584382901372494361638469714"
	if got := f.String(); got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
	got, err := Parse(want)
	if err != nil || got != f {
		t.Fatalf("Parse(%s) = %+v, %v; want %+v", want, got, err, f)
	}
}

// TestAWSSamples parses sequence numbers issued by AWS (from the Kinesis
// documentation and a Lambda event sample) and checks their fields.
func TestAWSSamples(t *testing.T) {
	tests := []struct {
		s    string
		want Fields
	}{
		{"49546986683135544286507457936321625675700192471156785154",
			Fields{ShardCreated: 1421279230, ShardIndex: 0, Counter: 469, Arrival: 1421279386}},
		{"49590338271490256608559692538361571095921575989136588898",
			Fields{ShardCreated: 1542776258, ShardIndex: 6, Counter: 1734642199, Arrival: 1545084650}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.s)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%s) = %+v, %v; want %+v", tt.s, got, err, tt.want)
		}
		if s := tt.want.String(); s != tt.s {
			t.Errorf("%+v.String() = %s, want %s", tt.want, s, tt.s)
		}
	}
}

// TestKCLValidator applies the checks of the KCL's SequenceNumberValidator:
// bit length 186, version 2 at bit 184, shard index in bits 4-35.
func TestKCLValidator(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		f := randomFields(r)
		n, _ := new(big.Int).SetString(f.String(), 10)
		if n.BitLen() != 186 {
			t.Fatalf("%+v: bit length %d, want 186", f, n.BitLen())
		}
		if v := new(big.Int).Rsh(n, 184).Uint64() & 0xf; v != 2 {
			t.Fatalf("%+v: version %d, want 2", f, v)
		}
		if i := new(big.Int).Rsh(n, 4).Uint64() & 0xffffffff; i != uint64(f.ShardIndex) {
			t.Fatalf("%+v: shard index %d, want %d", f, i, f.ShardIndex)
		}
	}
}

func TestStringMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		f := randomFields(r)
		if i%2 == 1 {
			f = anyFields(r) // truncation must match too
		}
		got, want := f.String(), reference(f)
		if got != want {
			t.Fatalf("%+v.String() = %s, want %s", f, got, want)
		}
		if app := string(f.Append([]byte("x"))); app != "x"+want {
			t.Fatalf("%+v.Append = %s, want x%s", f, app, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		f := randomFields(r)
		if err := f.Validate(); err != nil {
			t.Fatalf("Validate(%+v) = %v", f, err)
		}
		s := f.String()
		if len(s) != Digits {
			t.Fatalf("%+v.String() has %d digits", f, len(s))
		}
		got, err := Parse(s)
		if err != nil || got != f {
			t.Fatalf("Parse(%s) = %+v, %v; want %+v", s, got, err, f)
		}
	}
}

func TestStart(t *testing.T) {
	start := Start(1700000000, 7)
	want := Fields{ShardCreated: 1700000000, ShardIndex: 7, Counter: 0, Arrival: 1700000000}
	if start != want {
		t.Fatalf("Start = %+v, want %+v", start, want)
	}
	// No record of the shard, arriving at or after creation, sorts below.
	r := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		rec := Fields{ShardCreated: 1700000000, ShardIndex: 7,
			Counter: r.Uint64N(MaxCounter), Arrival: 1700000000 + r.Int64N(1<<30)}
		if Compare(start, rec) > 0 {
			t.Fatalf("start %s sorts after record %s", start, rec)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		f    Fields
		fail bool
	}{
		{Fields{}, false},
		{Fields{ShardCreated: MaxTime, ShardIndex: MaxShardIndex, Counter: MaxCounter, Arrival: MaxTime}, false},
		{Fields{ShardCreated: -1}, true},
		{Fields{ShardCreated: MaxTime + 1}, true},
		{Fields{ShardIndex: MaxShardIndex + 1}, true},
		{Fields{Counter: MaxCounter + 1}, true},
		{Fields{Arrival: -1}, true},
		{Fields{Arrival: MaxTime + 1}, true},
	}
	for _, tt := range tests {
		err := tt.f.Validate()
		if tt.fail != (err != nil) || (err != nil && !errors.Is(err, ErrRange)) {
			t.Errorf("Validate(%+v) = %v, want failure %v", tt.f, err, tt.fail)
		}
	}
}

func bigCmp(a, b string) int {
	x, _ := new(big.Int).SetString(a, 10)
	y, _ := new(big.Int).SetString(b, 10)
	return x.Cmp(y)
}

func TestCompareAgreesWithDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 20000 {
		a, b := randomFields(r), randomFields(r)
		switch i % 4 {
		case 1: // same shard, the case that matters
			b.ShardCreated, b.ShardIndex = a.ShardCreated, a.ShardIndex
		case 2: // equal up to one field
			b = a
			b.Arrival ^= 1
		case 3:
			a, b = anyFields(r), anyFields(r)
		}
		if got, want := Compare(a, b), bigCmp(a.String(), b.String()); got != want {
			t.Fatalf("Compare(%+v, %+v) = %d, want %d", a, b, got, want)
		}
	}
}

func TestOrderWithinShard(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 20000 {
		a, b := randomFields(r), randomFields(r)
		b.ShardCreated, b.ShardIndex = a.ShardCreated, a.ShardIndex
		want := cmpUint(a.Counter, b.Counter)
		if want == 0 {
			want = cmpUint(uint64(a.Arrival), uint64(b.Arrival))
		}
		if got := Compare(a, b); got != want {
			t.Fatalf("Compare(%+v, %+v) = %d, want %d", a, b, got, want)
		}
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mutate returns the example number with fn applied to its big.Int value.
func mutate(fn func(n *big.Int)) string {
	n, _ := new(big.Int).SetString("49646437577219980142909529521584382901372494361638469714", 10)
	fn(n)
	return n.String()
}

func setBit(i int) func(*big.Int) {
	return func(n *big.Int) { n.SetBit(n, i, 1) }
}

func TestParseErrors(t *testing.T) {
	const ex = "49646437577219980142909529521584382901372494361638469714"
	tests := []struct {
		name string
		s    string
		want error
	}{
		{"empty", "", ErrMalformed},
		{"letters", "abc", ErrMalformed},
		{"minus", "-" + ex[1:], ErrMalformed},
		{"plus", "+" + ex[1:], ErrMalformed},
		{"space", " " + ex[1:], ErrMalformed},
		{"trailing space", ex[:55] + " ", ErrMalformed},
		{"nul", ex[:30] + "\x00" + ex[31:], ErrMalformed},
		{"arabic digit", ex[:53] + "٣", ErrMalformed},
		{"leading zero", "0" + ex[1:], ErrMalformed},
		{"130 digits", "1" + strings.Repeat("0", 129), ErrMalformed},
		{"zero", "0", ErrVersion},
		{"one", "1", ErrVersion},
		{"129 digits", "1" + strings.Repeat("0", 128), ErrVersion},
		{"55 digits", ex[:55], ErrVersion},
		{"57 digits", ex + "0", ErrVersion},
		{"35 digits", "21269327807342255300960357611136114", ErrVersion},
		{"below 2^185", mutate(func(n *big.Int) { n.SetBit(n, 185, 0) }), ErrVersion},
		{"high version 3", mutate(setBit(184)), ErrVersion},
		{"low version 3", mutate(setBit(0)), ErrVersion},
		{"low version 0", mutate(func(n *big.Int) { n.SetBit(n, 1, 0) }), ErrVersion},
		{"all nines", strings.Repeat("9", 56), ErrVersion},
		{"reserved bit", mutate(setBit(72)), ErrMalformed},
		{"reserved top bit", mutate(setBit(79)), ErrMalformed},
		{"counter top bit", mutate(setBit(143)), ErrMalformed},
		{"shard index top bit", mutate(setBit(35)), ErrMalformed},
		{"nibble mismatch", mutate(setBit(145)), ErrMalformed},
		{"index mismatch", mutate(setBit(5)), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.s)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) = %+v, %v; want %v", tt.s, f, err, tt.want)
			}
			if f != (Fields{}) {
				t.Fatalf("Parse(%q) returned fields %+v with error", tt.s, f)
			}
		})
	}
}

func TestDigitsHelpers(t *testing.T) {
	for _, v := range []uint64{0, 1, 9, 10, 99, 100, 12345, pow19 - 1} {
		var b [19]byte
		putDigits(b[:], v)
		want := fmt.Sprintf("%019d", v)
		if string(b[:]) != want {
			t.Errorf("putDigits(%d) = %s, want %s", v, b[:], want)
		}
		if got := parseDigits(want); got != v {
			t.Errorf("parseDigits(%s) = %d", want, got)
		}
	}
	var odd [3]byte
	putDigits(odd[:], 7)
	if string(odd[:]) != "007" {
		t.Errorf("putDigits odd width = %s, want 007", odd[:])
	}
}

func TestStringAllocs(t *testing.T) {
	f := Fields{ShardCreated: 1700000000, ShardIndex: 5, Counter: 42, Arrival: 1700000123}
	if n := testing.AllocsPerRun(100, func() { _ = f.String() }); n > 1 {
		t.Errorf("String allocates %v times, want at most 1", n)
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = f.Append(buf[:0]) }); n != 0 {
		t.Errorf("Append allocates %v times, want 0", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"49646437577219980142909529521584382901372494361638469714",
		"49546986683135544286507457936321625675700192471156785154",
		strings.Repeat("9", 56), "0", "", "1e56", "-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) {
				t.Fatalf("Parse(%q): unexpected error %v", s, err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("Parse(%q) = %+v, which fails Validate: %v", s, got, err)
		}
		if back := got.String(); back != s {
			t.Fatalf("Parse(%q) = %+v, String() = %s", s, got, back)
		}
	})
}

func FuzzString(f *testing.F) {
	f.Add(int64(1700000000), uint32(5), uint64(42), int64(1700000123))
	f.Add(int64(-1), ^uint32(0), ^uint64(0), int64(-1))
	f.Fuzz(func(t *testing.T, created int64, index uint32, counter uint64, arrival int64) {
		in := Fields{ShardCreated: created, ShardIndex: index, Counter: counter, Arrival: arrival}
		s := in.String()
		if want := reference(in); s != want {
			t.Fatalf("%+v.String() = %s, want %s", in, s, want)
		}
		got, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%s) = %v", s, err)
		}
		if (in.Validate() == nil) != (got == in) {
			t.Fatalf("Parse(%+v.String()) = %+v", in, got)
		}
	})
}

var (
	sinkString string
	sinkFields Fields
)

func BenchmarkString(b *testing.B) {
	f := Fields{ShardCreated: 1700000000, ShardIndex: 5, Counter: 1 << 40, Arrival: 1700000123}
	b.ReportAllocs()
	for b.Loop() {
		sinkString = f.String()
		f.Counter++
	}
}

func BenchmarkAppend(b *testing.B) {
	f := Fields{ShardCreated: 1700000000, ShardIndex: 5, Counter: 1 << 40, Arrival: 1700000123}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0])
		f.Counter++
	}
}

// BenchmarkStringBig measures the math/big reference, for comparison.
func BenchmarkStringBig(b *testing.B) {
	f := Fields{ShardCreated: 1700000000, ShardIndex: 5, Counter: 1 << 40, Arrival: 1700000123}
	b.ReportAllocs()
	for b.Loop() {
		sinkString = reference(f)
		f.Counter++
	}
}

func BenchmarkParse(b *testing.B) {
	s := Fields{ShardCreated: 1700000000, ShardIndex: 5, Counter: 1 << 40, Arrival: 1700000123}.String()
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		sinkFields = f
	}
}

func BenchmarkCompare(b *testing.B) {
	x := Fields{ShardCreated: 1700000000, ShardIndex: 5, Counter: 1 << 40, Arrival: 1700000123}
	y := x
	y.Arrival++
	var sink int
	for b.Loop() {
		sink += Compare(x, y)
	}
	_ = sink
}
