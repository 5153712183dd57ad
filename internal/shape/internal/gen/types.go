package main

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"
)

// genShapes writes the Go types, the operation list and the input table.
func genShapes(w *writer, m *model) error {
	w.header()
	for _, name := range m.structureNames() {
		if err := genStruct(w, m, name); err != nil {
			return err
		}
	}
	for _, name := range m.structureNames() {
		genBlobUnmarshal(w, m, name)
	}
	genOperations(w, m)
	return nil
}

func genStruct(w *writer, m *model, name string) error {
	s := m.Shapes[name]
	w.comment(typeDoc(m, name, s))
	w.p("type %s struct {", name)
	for _, mem := range s.Members {
		ms := m.Shapes[mem.Shape]
		if ms.EventStream {
			continue // the event stream is framed by the handler, not encoded here
		}
		typ, err := goType(m, mem.Shape)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", name, mem.Name, err)
		}
		tag := mem.Name
		switch {
		case s.isRequired(mem.Name):
		case strings.HasPrefix(typ, "[]") || strings.HasPrefix(typ, "map["):
			// nil is absent, empty is sent: AWS sends "ShardLevelMetrics": [].
			tag += ",omitzero"
		default:
			tag += ",omitempty"
		}
		w.p("\t%s %s `json:%q`", mem.Name, typ, tag)
	}
	w.p("}")
	w.p("")
	return nil
}

// goType returns the Go type of a member whose target is the named shape.
func goType(m *model, name string) (string, error) {
	s := m.Shapes[name]
	switch s.Type {
	case "string":
		return "*string", nil
	case "integer":
		return "*int32", nil
	case "long":
		return "*int64", nil
	case "boolean":
		return "*bool", nil
	case "timestamp":
		return "*Timestamp", nil
	case "blob":
		return "[]byte", nil
	case "structure":
		return "*" + name, nil
	case "list":
		elem, err := elemType(m, s.Member.Shape)
		if err != nil {
			return "", err
		}
		return "[]" + elem, nil
	case "map":
		k, v := m.Shapes[s.Key.Shape], m.Shapes[s.Value.Shape]
		if k.Type != "string" || v.Type != "string" {
			return "", fmt.Errorf("map %s: only string maps are supported", name)
		}
		return "map[string]string", nil
	}
	return "", fmt.Errorf("shape %s: unsupported type %q", name, s.Type)
}

// elemType returns the element type of a list: structures by value,
// strings as plain string.
func elemType(m *model, name string) (string, error) {
	switch s := m.Shapes[name]; s.Type {
	case "structure":
		return name, nil
	case "string":
		return "string", nil
	default:
		return "", fmt.Errorf("list of %s: unsupported element type %q", name, s.Type)
	}
}

func genOperations(w *writer, m *model) {
	names := m.operationNames()
	w.comment("Operations lists the names of all operations of the API, sorted.")
	w.p("var Operations = []string{")
	for _, name := range names {
		w.p("\t%q,", name)
	}
	w.p("}")
	w.p("")
	w.p("// newInput maps an operation name to a constructor of its input.")
	w.p("var newInput = map[string]func() Input{")
	for _, name := range names {
		op := m.Operations[name]
		if op.Input == nil {
			continue
		}
		w.p("\t%q: func() Input { return new(%s) },", name, op.Input.Shape)
	}
	w.p("}")
}

var (
	htmlTag = regexp.MustCompile(`<[^>]*>`)
	spaces  = regexp.MustCompile(`\s+`)
)

// typeDoc builds a type's doc comment from the first sentence of its model
// documentation, or from the operation it belongs to.
func typeDoc(m *model, name string, s *shape) string {
	text := firstSentence(s.Documentation)
	if text == "" {
		return opDoc(m, name)
	}
	word, rest, _ := strings.Cut(text, " ")
	switch {
	case word == "Represents" || word == "Specifies":
		return name + " " + lowerFirst(text)
	case word == "A" || word == "An" || word == "The":
		return name + " is " + strings.ToLower(word) + " " + rest
	default:
		return name + " is documented as: " + text
	}
}

// opDoc describes an undocumented shape by the operations using it.
func opDoc(m *model, name string) string {
	for _, op := range m.operationNames() {
		o := m.Operations[op]
		if o.Input != nil && o.Input.Shape == name {
			return fmt.Sprintf("%s is the input of %s.", name, op)
		}
		if o.Output != nil && o.Output.Shape == name {
			return fmt.Sprintf("%s is the output of %s.", name, op)
		}
	}
	return name + " is a shape of the Kinesis API."
}

func firstSentence(doc string) string {
	text := html.UnescapeString(htmlTag.ReplaceAllString(doc, " "))
	text = strings.TrimSpace(spaces.ReplaceAllString(text, " "))
	text = strings.NewReplacer(" .", ".", " ,", ",").Replace(text)
	if i := strings.Index(text, ". "); i >= 0 {
		text = text[:i+1]
	}
	if text != "" && !strings.HasSuffix(text, ".") {
		text += "."
	}
	return text
}

// lowerFirst lower-cases the first letter of an ordinary word.
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) > 1 && unicode.IsUpper(r[0]) && unicode.IsLower(r[1]) {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}

// genBlobUnmarshal gives a structure with blob members an UnmarshalCBOR
// that decodes them through cborBlob, which also accepts base64 text.
func genBlobUnmarshal(w *writer, m *model, name string) {
	s := m.Shapes[name]
	hasBlob := false
	for _, mem := range s.Members {
		hasBlob = hasBlob || m.Shapes[mem.Shape].Type == "blob"
	}
	if !hasBlob {
		return
	}
	w.p("// UnmarshalCBOR decodes blob members from byte strings or base64 text.")
	w.p("func (s *%s) UnmarshalCBOR(b []byte) error {", name)
	w.p("\tvar w struct {")
	for _, mem := range s.Members {
		typ, _ := goType(m, mem.Shape)
		if typ == "[]byte" {
			typ = "cborBlob"
		}
		w.p("\t\t%s %s `json:%q`", mem.Name, typ, mem.Name)
	}
	w.p("\t}")
	w.p("\tif err := cborDec.Unmarshal(b, &w); err != nil {")
	w.p("\t\treturn err")
	w.p("\t}")
	w.p("\t*s = %s{", name)
	for _, mem := range s.Members {
		if m.Shapes[mem.Shape].Type == "blob" {
			w.p("\t\t%s: []byte(w.%s),", mem.Name, mem.Name)
		} else {
			w.p("\t\t%s: w.%s,", mem.Name, mem.Name)
		}
	}
	w.p("\t}")
	w.p("\treturn nil")
	w.p("}")
	w.p("")
}
