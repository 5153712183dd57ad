// Package kplpb holds the protobuf messages of the KPL's aggregated record
// format, generated from kpl.proto by protoc-gen-go (see the go:generate
// line; regenerate with `go generate` after editing kpl.proto).
package kplpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative kpl.proto
