package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// model is the subset of a botocore service model that the generator reads.
type model struct {
	Operations map[string]operation `json:"operations"`
	Shapes     map[string]*shape    `json:"shapes"`
}

type operation struct {
	Name   string    `json:"name"`
	Input  *shapeRef `json:"input"`
	Output *shapeRef `json:"output"`
}

type shapeRef struct {
	Shape string `json:"shape"`
}

// shape is one entry of the model's "shapes" table. Members keep the order
// of the JSON object, which is the order AWS validates and lists them in.
type shape struct {
	Type          string    `json:"type"`
	Documentation string    `json:"documentation"`
	Required      []string  `json:"required"`
	Members       members   `json:"members"`
	Member        *shapeRef `json:"member"`
	Key           *shapeRef `json:"key"`
	Value         *shapeRef `json:"value"`
	Enum          []string  `json:"enum"`
	Pattern       string    `json:"pattern"`
	Min           *int64    `json:"min"`
	Max           *int64    `json:"max"`
	Exception     bool      `json:"exception"`
	EventStream   bool      `json:"eventstream"`
}

type member struct {
	Name  string
	Shape string
}

// members decodes a JSON object into a slice, preserving key order.
type members []member

func (ms *members) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var ref shapeRef
		if err := dec.Decode(&ref); err != nil {
			return err
		}
		*ms = append(*ms, member{Name: tok.(string), Shape: ref.Shape})
	}
	_, err := dec.Token() // }
	return err
}

func loadModel(path string) (*model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for name, s := range m.Shapes {
		for _, mem := range s.Members {
			if m.Shapes[mem.Shape] == nil {
				return nil, fmt.Errorf("%s.%s: unknown shape %q", name, mem.Name, mem.Shape)
			}
		}
	}
	return &m, nil
}

// operationNames returns the operation names in sorted order.
func (m *model) operationNames() []string {
	names := make([]string, 0, len(m.Operations))
	for name := range m.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// structureNames returns the sorted names of the structures to generate:
// every structure except exceptions and event-stream unions.
func (m *model) structureNames() []string {
	var names []string
	for name, s := range m.Shapes {
		if s.Type == "structure" && !s.Exception && !s.EventStream {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func (s *shape) isRequired(name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}
