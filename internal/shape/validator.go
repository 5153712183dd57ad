package shape

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The rules below are instantiated by the generated code, one per
// constrained model shape. AWS checks a member's constraints in this order:
// not null, enum, pattern, minimum, maximum; a list's or map's elements
// after the container's own length.

// stringRule holds the constraints of a string shape.
type stringRule struct {
	enum    []string       // allowed values, in the order AWS prints them
	pattern *regexp.Regexp // anchored; nil if none
	regex   string         // the pattern as the model writes it
	length  lengthRule
}

// lengthRule bounds the length of a string, blob, list or map.
type lengthRule struct {
	min, max       int64
	hasMin, hasMax bool
}

// numberRule bounds an integer or long.
type numberRule struct {
	min, max       int64
	hasMin, hasMax bool
}

// listRule constrains a list and, for lists of strings, its elements.
type listRule struct {
	length lengthRule
	member *stringRule
}

// mapRule constrains a map of strings and its keys and values.
type mapRule struct {
	length     lengthRule
	key, value *stringRule
}

// path locates a member for messages: "records.1.member.partitionKey". It is
// built on the stack as validation descends and rendered only on failure.
type path struct {
	parent *path
	name   string // lowerCamel member name
	index  int    // 1-based list index, 0 for a plain member
}

func (p *path) appendTo(b []byte) []byte {
	if p.parent != nil {
		b = p.parent.appendTo(b)
		b = append(b, '.')
	}
	b = append(b, p.name...)
	if p.index > 0 {
		// AWS names a list element "records.1.member".
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(p.index), 10)
		b = append(b, ".member"...)
	}
	return b
}

// validator collects violations, keeping the first maxListedErrors.
type validator struct {
	errs []string
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: v.errs}
}

// fail records that member name under p, whose value renders as value,
// failed constraint.
func (v *validator) fail(p *path, name, value, constraint string) {
	v.add(p, name, "'"+value+"'", constraint)
}

// failNull records that member name under p is null but must not be.
func (v *validator) failNull(p *path, name string) {
	v.add(p, name, "null", "Member must not be null")
}

func (v *validator) add(p *path, name, value, constraint string) {
	if len(v.errs) >= maxListedErrors {
		return
	}
	b := make([]byte, 0, 64+len(value)+len(constraint))
	b = append(b, "Value "...)
	b = append(b, value...)
	b = append(b, " at '"...)
	b = (&path{parent: p, name: name}).appendTo(b)
	b = append(b, "' failed to satisfy constraint: "...)
	b = append(b, constraint...)
	v.errs = append(v.errs, string(b))
}

// present checks a member's presence. It reports a missing required member
// and returns whether there is a value to check further.
func (v *validator) present(p *path, name string, isNil, required bool) bool {
	if isNil && required {
		v.failNull(p, name)
	}
	return !isNil
}

func (v *validator) str(p *path, name, s string, r *stringRule) {
	for _, msg := range r.violations(s) {
		v.fail(p, name, s, msg)
	}
}

// violations returns the messages of the constraints s breaks, in AWS's
// order. It allocates only when s is invalid.
func (r *stringRule) violations(s string) []string {
	var msgs []string
	if r.enum != nil && !contains(r.enum, s) {
		msgs = append(msgs, "Member must satisfy enum value set: ["+strings.Join(r.enum, ", ")+"]")
	}
	if r.pattern != nil && !r.pattern.MatchString(s) {
		msgs = append(msgs, "Member must satisfy regular expression pattern: "+r.regex)
	}
	return r.length.violations(msgs, javaLength(s))
}

func (r *lengthRule) violations(msgs []string, n int64) []string {
	if r.hasMin && n < r.min {
		msgs = append(msgs, "Member must have length greater than or equal to "+strconv.FormatInt(r.min, 10))
	}
	if r.hasMax && n > r.max {
		msgs = append(msgs, "Member must have length less than or equal to "+strconv.FormatInt(r.max, 10))
	}
	return msgs
}

// describe lists a rule's constraints as AWS does inside "Member must
// satisfy constraint: [...]" for list elements and map keys and values.
func (r *stringRule) describe() string {
	var parts []string
	if r.enum != nil {
		parts = append(parts, "Member must satisfy enum value set: ["+strings.Join(r.enum, ", ")+"]")
	}
	if r.pattern != nil {
		parts = append(parts, "Member must satisfy regular expression pattern: "+r.regex)
	}
	if r.length.hasMax {
		parts = append(parts, "Member must have length less than or equal to "+strconv.FormatInt(r.length.max, 10))
	}
	if r.length.hasMin {
		parts = append(parts, "Member must have length greater than or equal to "+strconv.FormatInt(r.length.min, 10))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (v *validator) num(p *path, name string, n int64, r *numberRule) {
	if r.hasMin && n < r.min {
		v.fail(p, name, strconv.FormatInt(n, 10), "Member must have value greater than or equal to "+strconv.FormatInt(r.min, 10))
	}
	if r.hasMax && n > r.max {
		v.fail(p, name, strconv.FormatInt(n, 10), "Member must have value less than or equal to "+strconv.FormatInt(r.max, 10))
	}
}

func (v *validator) blob(p *path, name string, b []byte, r *lengthRule) {
	for _, msg := range r.violations(nil, int64(len(b))) {
		v.fail(p, name, blobString(b), msg)
	}
}

// length checks the length of a list of structures; render formats the
// list and is called only on failure.
func (v *validator) length(p *path, name string, n int, r *lengthRule, render func() string) {
	for _, msg := range r.violations(nil, int64(n)) {
		v.fail(p, name, render(), msg)
	}
}

func (v *validator) strList(p *path, name string, list []string, r *listRule) {
	for _, msg := range r.length.violations(nil, int64(len(list))) {
		v.fail(p, name, stringListString(list), msg)
	}
	if r.member == nil {
		return
	}
	for _, s := range list {
		if len(r.member.violations(s)) > 0 {
			v.fail(p, name, stringListString(list), "Member must satisfy constraint: "+r.member.describe())
			return
		}
	}
}

func (v *validator) strMap(p *path, name string, m map[string]string, r *mapRule) {
	for _, msg := range r.length.violations(nil, int64(len(m))) {
		v.fail(p, name, mapString(m), msg)
	}
	if r.key != nil {
		for k := range m {
			if len(r.key.violations(k)) > 0 {
				v.fail(p, name, mapString(m), "Map keys must satisfy constraint: "+r.key.describe())
				break
			}
		}
	}
	if r.value != nil {
		for _, val := range m {
			if len(r.value.violations(val)) > 0 {
				v.fail(p, name, mapString(m), "Map value must satisfy constraint: "+r.value.describe())
				break
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// javaLength is the length of s as Java's String.length counts it, in
// UTF-16 code units, which is what AWS's length constraints measure.
func javaLength(s string) int64 {
	n := int64(0)
	for _, r := range s {
		n += int64(utf16.RuneLen(r))
	}
	return n
}
