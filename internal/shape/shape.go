package shape

// Input is implemented by every operation's input shape.
type Input interface {
	// Validate checks the input against the model's constraints. It
	// returns nil or a *ValidationError.
	Validate() error
}

// NewInput returns a pointer to a new, empty input of the named operation,
// ready to Decode into, and whether the operation exists.
func NewInput(op string) (Input, bool) {
	f, ok := newInput[op]
	if !ok {
		return nil, false
	}
	return f(), true
}
