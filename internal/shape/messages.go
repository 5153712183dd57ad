package shape

import "strings"

// valueKind classifies the wire value found where another type was
// expected, as AWS's deserializer reports it.
type valueKind uint8

const (
	valueString valueKind = iota
	valueNumber
	valueTrue
	valueFalse
	valueList
	valueStruct
	valueOther
)

// AWS's SerializationException messages for members of the wrong type.
// The "<KIND>_VALUE can not be converted to <type>" texts are those AWS's
// JSON 1.1 services send today; the list, structure and "Expected"
// texts come from kinesalite's validations/index.js, which recorded them
// from Kinesis.
const (
	msgList   = "Start of list found where not expected"
	msgStruct = "Start of structure or map found where not expected."
	msgOther  = "Unexpected field type"
)

var valueNames = [...]string{
	valueString: "STRING_VALUE",
	valueNumber: "NUMBER_VALUE",
	valueTrue:   "TRUE_VALUE",
	valueFalse:  "FALSE_VALUE",
}

// typeMessage returns AWS's message for a value of kind found where a Go
// value of goType (as reflect.Type.String prints it) was expected.
func typeMessage(kind valueKind, goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]") && goType != "[]uint8":
		return containerMessage(kind, valueList, "Expected list or null")
	case strings.HasPrefix(goType, "map["):
		return containerMessage(kind, valueStruct, "Expected map or null")
	case strings.HasPrefix(goType, "shape.") && goType != "shape.Timestamp",
		strings.HasPrefix(goType, "struct"): // the shadow structs of zz_shapes.go
		return containerMessage(kind, valueStruct, "Expected null")
	}
	switch kind {
	case valueList:
		return msgList
	case valueStruct:
		return msgStruct
	case valueOther:
		return msgOther
	}
	return valueNames[kind] + " can not be converted to " + awsTypeName(goType)
}

// containerMessage words a mismatch where a list, map or structure was
// expected: the container of the other sort, or a scalar.
func containerMessage(kind, want valueKind, scalar string) string {
	switch {
	case kind == want:
		return msgOther // the mismatch is inside; not reached for JSON
	case kind == valueList:
		return msgList
	case kind == valueStruct:
		return msgStruct
	}
	return scalar
}

// awsTypeName names a scalar type the way AWS's messages do, article
// included (AWS writes "an Boolean").
func awsTypeName(goType string) string {
	switch goType {
	case "string":
		return "a String"
	case "int32":
		return "an Integer"
	case "int64":
		return "a Long"
	case "bool":
		return "an Boolean"
	case "[]uint8":
		return "a Blob"
	case "shape.Timestamp":
		return "milliseconds since epoch"
	}
	return "a " + goType
}

func msgTimestamp(kind valueKind) string {
	return typeMessage(kind, "shape.Timestamp")
}

// jsonKind classifies a JSON value by its first byte.
func jsonKind(b []byte) valueKind {
	if len(b) == 0 {
		return valueOther
	}
	switch b[0] {
	case '"':
		return valueString
	case 't':
		return valueTrue
	case 'f':
		return valueFalse
	case '[':
		return valueList
	case '{':
		return valueStruct
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return valueNumber
	}
	return valueOther
}
