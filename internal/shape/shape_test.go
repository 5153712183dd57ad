package shape

import "reflect"

func ptr[T any](v T) *T { return &v }

func reflectName(v any) string { return reflect.TypeOf(v).String() }
