package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// genValidate writes the constraint rules of the shapes that inputs use,
// a validate method per input structure and Validate per operation input.
func genValidate(w *writer, m *model) error {
	w.header()
	w.p("import \"regexp\"")
	w.p("")
	structs := m.inputStructures()
	if err := genRules(w, m, structs); err != nil {
		return err
	}
	for _, name := range m.operationNames() {
		if in := m.Operations[name].Input; in != nil {
			genValidateMethod(w, in.Shape)
		}
	}
	for _, name := range structs {
		if err := genStructValidate(w, m, name); err != nil {
			return err
		}
	}
	for _, name := range m.listElementStructures(structs) {
		if err := genJavaString(w, m, name); err != nil {
			return err
		}
	}
	return nil
}

// inputStructures returns the sorted names of the structures reachable
// from operation inputs.
func (m *model) inputStructures() []string {
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		s := m.Shapes[name]
		switch s.Type {
		case "structure":
			if seen[name] || s.EventStream {
				return
			}
			seen[name] = true
			for _, mem := range s.Members {
				visit(mem.Shape)
			}
		case "list":
			visit(s.Member.Shape)
		}
	}
	for _, op := range m.Operations {
		if op.Input != nil {
			visit(op.Input.Shape)
		}
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// listElementStructures returns the structures that are elements of lists
// in the given structures.
func (m *model) listElementStructures(structs []string) []string {
	seen := map[string]bool{}
	for _, name := range structs {
		for _, mem := range m.Shapes[name].Members {
			if s := m.Shapes[mem.Shape]; s.Type == "list" && m.Shapes[s.Member.Shape].Type == "structure" {
				seen[s.Member.Shape] = true
			}
		}
	}
	var names []string
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// constrained reports whether a shape has constraints beyond presence.
func (m *model) constrained(name string) bool {
	s := m.Shapes[name]
	switch s.Type {
	case "string":
		return s.Enum != nil || s.Pattern != "" || s.Min != nil || s.Max != nil
	case "integer", "long", "blob":
		return s.Min != nil || s.Max != nil
	case "list":
		return s.Min != nil || s.Max != nil || m.constrained(s.Member.Shape) && m.Shapes[s.Member.Shape].Type == "string"
	case "map":
		return s.Min != nil || s.Max != nil || m.constrained(s.Key.Shape) || m.constrained(s.Value.Shape)
	}
	return false
}

// genRules writes one rule variable per constrained shape used by structs.
func genRules(w *writer, m *model, structs []string) error {
	used := map[string]bool{}
	for _, name := range structs {
		for _, mem := range m.Shapes[name].Members {
			if m.Shapes[mem.Shape].Type != "structure" && m.constrained(mem.Shape) {
				used[mem.Shape] = true
			}
		}
	}
	names := make([]string, 0, len(used))
	for name := range used {
		names = append(names, name)
	}
	sort.Strings(names)
	w.p("// Constraint rules of the model's shapes.")
	w.p("var (")
	for _, name := range names {
		expr, typ, err := ruleExpr(m, name)
		if err != nil {
			return fmt.Errorf("shape %s: %w", name, err)
		}
		w.p("\trule%s = %s%s", name, typ, expr)
	}
	w.p(")")
	w.p("")
	return nil
}

// ruleExpr returns the composite literal of a shape's rule and its type.
func ruleExpr(m *model, name string) (expr, typ string, err error) {
	s := m.Shapes[name]
	switch s.Type {
	case "string":
		expr, err := stringRuleExpr(s)
		return expr, "&stringRule", err
	case "integer", "long":
		return "{" + bounds(s) + "}", "&numberRule", nil
	case "blob":
		return "{" + bounds(s) + "}", "&lengthRule", nil
	case "list":
		expr := "{length: lengthRule{" + bounds(s) + "}"
		if elem := m.Shapes[s.Member.Shape]; elem.Type == "string" && m.constrained(s.Member.Shape) {
			e, err := stringRuleExpr(elem)
			if err != nil {
				return "", "", err
			}
			expr += ", member: &stringRule" + e
		}
		return expr + "}", "&listRule", nil
	case "map":
		expr := "{length: lengthRule{" + bounds(s) + "}"
		for _, kv := range []struct{ field, shape string }{{"key", s.Key.Shape}, {"value", s.Value.Shape}} {
			if m.constrained(kv.shape) {
				e, err := stringRuleExpr(m.Shapes[kv.shape])
				if err != nil {
					return "", "", err
				}
				expr += ", " + kv.field + ": &stringRule" + e
			}
		}
		return expr + "}", "&mapRule", nil
	}
	return "", "", fmt.Errorf("no rule for type %q", s.Type)
}

func stringRuleExpr(s *shape) (string, error) {
	var parts []string
	if s.Enum != nil {
		parts = append(parts, fmt.Sprintf("enum: %#v", javaHashOrder(s.Enum)))
	}
	if s.Pattern != "" {
		anchored := "^(?:" + s.Pattern + ")$"
		if _, err := regexp.Compile(anchored); err != nil {
			return "", fmt.Errorf("pattern %q: %w", s.Pattern, err)
		}
		parts = append(parts, fmt.Sprintf("pattern: regexp.MustCompile(%q), regex: %q", anchored, s.Pattern))
	}
	if b := bounds(s); b != "" {
		parts = append(parts, "length: lengthRule{"+b+"}")
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

// bounds renders a shape's min and max as rule fields.
func bounds(s *shape) string {
	var parts []string
	if s.Min != nil {
		parts = append(parts, "min: "+strconv.FormatInt(*s.Min, 10), "hasMin: true")
	}
	if s.Max != nil {
		parts = append(parts, "max: "+strconv.FormatInt(*s.Max, 10), "hasMax: true")
	}
	return strings.Join(parts, ", ")
}

func genValidateMethod(w *writer, name string) {
	w.p("// Validate checks the input against the model's constraints.")
	w.p("func (in *%s) Validate() error {", name)
	w.p("\tvar v validator")
	w.p("\tin.validate(&v, nil)")
	w.p("\treturn v.err()")
	w.p("}")
	w.p("")
}

func genStructValidate(w *writer, m *model, name string) error {
	s := m.Shapes[name]
	w.p("func (s *%s) validate(v *validator, p *path) {", name)
	for _, mem := range s.Members {
		if err := genMemberValidate(w, m, s, mem); err != nil {
			return fmt.Errorf("%s.%s: %w", name, mem.Name, err)
		}
	}
	w.p("}")
	w.p("")
	return nil
}

func genMemberValidate(w *writer, m *model, parent *shape, mem member) error {
	s := m.Shapes[mem.Shape]
	if s.EventStream {
		return nil
	}
	required := parent.isRequired(mem.Name)
	field := "s." + mem.Name
	json := lowerFirst(mem.Name)
	check := checkExpr(m, mem, field, json)
	if check == "" && !required {
		return nil
	}
	isNil := field + " == nil"
	if check == "" {
		w.p("\tv.present(p, %q, %s, %t)", json, isNil, required)
		return nil
	}
	w.p("\tif v.present(p, %q, %s, %t) {", json, isNil, required)
	w.p("%s", check)
	w.p("\t}")
	return nil
}

// checkExpr returns the statements validating a present member, or "".
func checkExpr(m *model, mem member, field, json string) string {
	s := m.Shapes[mem.Shape]
	rule := "rule" + mem.Shape
	switch s.Type {
	case "structure":
		return fmt.Sprintf("\t\t%s.validate(v, &path{parent: p, name: %q})", field, json)
	case "list":
		if m.Shapes[s.Member.Shape].Type == "structure" {
			return structListCheck(m, s, field, json, rule)
		}
	}
	if !m.constrained(mem.Shape) {
		return ""
	}
	switch s.Type {
	case "string":
		return fmt.Sprintf("\t\tv.str(p, %q, *%s, %s)", json, field, rule)
	case "integer", "long":
		return fmt.Sprintf("\t\tv.num(p, %q, int64(*%s), %s)", json, field, rule)
	case "blob":
		return fmt.Sprintf("\t\tv.blob(p, %q, %s, %s)", json, field, rule)
	case "list":
		return fmt.Sprintf("\t\tv.strList(p, %q, %s, %s)", json, field, rule)
	case "map":
		return fmt.Sprintf("\t\tv.strMap(p, %q, %s, %s)", json, field, rule)
	}
	return ""
}

func structListCheck(m *model, s *shape, field, json, rule string) string {
	var b strings.Builder
	if m.constrained(s.Member.Shape) || s.Min != nil || s.Max != nil {
		fmt.Fprintf(&b, "\t\tv.length(p, %q, len(%s), &%s.length, func() string { return structListString(%s) })\n",
			json, field, rule, field)
	}
	fmt.Fprintf(&b, "\t\tfor i := range %s {\n", field)
	fmt.Fprintf(&b, "\t\t\t%s[i].validate(v, &path{parent: p, name: %q, index: i + 1})\n", field, json)
	b.WriteString("\t\t}")
	return b.String()
}

// genJavaString writes the javaString method AWS's messages use to render
// a structure inside a list.
func genJavaString(w *writer, m *model, name string) error {
	s := m.Shapes[name]
	w.p("func (s *%s) javaString() string {", name)
	w.p("\treturn structString(%q,", name)
	for _, mem := range s.Members {
		field := "s." + mem.Name
		var value string
		switch t := m.Shapes[mem.Shape].Type; t {
		case "string":
			value = "deref(" + field + ")"
		case "blob":
			value = "blobString(" + field + ")"
		case "integer", "long":
			value = "derefInt(" + field + ")"
		default:
			return fmt.Errorf("%s.%s: cannot render type %q", name, mem.Name, t)
		}
		w.p("\t\tfield{%q, %s, %s != nil},", lowerFirst(mem.Name), value, field)
	}
	w.p("\t)")
	w.p("}")
	w.p("")
	return nil
}

// javaHashOrder orders strings as a java.util.HashSet of them iterates;
// see the copy in package shape.
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

func javaHashCode(s string) uint32 {
	var h uint32
	for _, c := range utf16.Encode([]rune(s)) {
		h = 31*h + uint32(c)
	}
	return h
}
