package shape

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// AWS renders the offending value in a validation message with Java's
// toString of the deserialized member. These functions reproduce it.

// blobString renders a blob as the java.nio.ByteBuffer AWS holds it in.
func blobString(b []byte) string {
	n := strconv.Itoa(len(b))
	return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]"
}

// stringListString renders a list of strings: "[a, b]".
func stringListString(list []string) string {
	return "[" + strings.Join(list, ", ") + "]"
}

// javaStringer is implemented by generated structures that can appear in
// a constrained input list.
type javaStringer interface {
	javaString() string
}

// structListString renders a list of structures: "[Entry(a=b), ...]".
func structListString[T any, PT interface {
	*T
	javaStringer
}](list []T) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(PT(&list[i]).javaString())
	}
	b.WriteByte(']')
	return b.String()
}

// field is a member of a structure rendered by structString.
type field struct {
	name  string // lowerCamel
	value string
	set   bool
}

// structString renders a structure as "Name(member=value, ...)", listing
// only the members that are set, as AWS renders the entries of a list.
func structString(name string, fields ...field) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('(')
	first := true
	for _, f := range fields {
		if !f.set {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(f.name)
		b.WriteByte('=')
		b.WriteString(f.value)
	}
	b.WriteByte(')')
	return b.String()
}

// mapString renders a map as a java.util.HashMap prints it: "{k=v, ...}",
// in HashMap iteration order.
func mapString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // ties in a bucket: any fixed order will do
	keys = javaHashOrder(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// javaHashOrder orders strings as a java.util.HashSet built from them
// iterates: by bucket, String.hashCode masked to the table size (16,
// doubled while more than three quarters full), ties in the given order.
// The same rule orders the enum sets in AWS's messages; the generator has
// a copy of this function.
func javaHashOrder(list []string) []string {
	size := uint32(16)
	for uint32(len(list)) > size/4*3 {
		size *= 2
	}
	sorted := append([]string(nil), list...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return javaHashCode(sorted[i])&(size-1) < javaHashCode(sorted[j])&(size-1)
	})
	return sorted
}

// javaHashCode is Java's String.hashCode: s[0]*31^(n-1) + ... over UTF-16
// code units.
func javaHashCode(s string) uint32 {
	var h uint32
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			h = 31*h + uint32(r1)
			h = 31*h + uint32(r2)
			continue
		}
		h = 31*h + uint32(r)
	}
	return h
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
