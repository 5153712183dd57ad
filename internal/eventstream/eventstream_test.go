package eventstream

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

func decodeAll(t *testing.T, b []byte) []awses.Message {
	t.Helper()
	dec := awses.NewDecoder()
	r := bytes.NewReader(b)
	var out []awses.Message
	for r.Len() > 0 {
		m, err := dec.Decode(r, nil)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		out = append(out, m)
	}
	return out
}

func header(m awses.Message, name string) string {
	v := m.Headers.Get(name)
	if v == nil {
		return ""
	}
	return v.String()
}

func TestMessages(t *testing.T) {
	var buf bytes.Buffer
	flushes := 0
	w := NewWriter(&buf, func() { flushes++ })
	if err := w.InitialResponse(); err != nil {
		t.Fatal(err)
	}
	if err := w.Event(EventSubscribeToShard, []byte(`{"Records":[]}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.Exception("ResourceInUseException", `taken "over"`); err != nil {
		t.Fatal(err)
	}
	if flushes != 3 {
		t.Errorf("flushed %d times, want 3", flushes)
	}
	msgs := decodeAll(t, buf.Bytes())
	if len(msgs) != 3 {
		t.Fatalf("decoded %d messages, want 3", len(msgs))
	}
	tests := []struct {
		msgType, eventType, excType, contentType, payload string
	}{
		{"event", "initial-response", "", "application/x-amz-json-1.1", `{}`},
		{"event", "SubscribeToShardEvent", "", "application/x-amz-json-1.1", `{"Records":[]}`},
		{"exception", "", "ResourceInUseException", "application/json", `{"message":"taken \"over\""}`},
	}
	for i, tt := range tests {
		m := msgs[i]
		if got := header(m, ":message-type"); got != tt.msgType {
			t.Errorf("message %d: :message-type %q, want %q", i, got, tt.msgType)
		}
		if got := header(m, ":event-type"); got != tt.eventType {
			t.Errorf("message %d: :event-type %q, want %q", i, got, tt.eventType)
		}
		if got := header(m, ":exception-type"); got != tt.excType {
			t.Errorf("message %d: :exception-type %q, want %q", i, got, tt.excType)
		}
		if got := header(m, ":content-type"); got != tt.contentType {
			t.Errorf("message %d: :content-type %q, want %q", i, got, tt.contentType)
		}
		if string(m.Payload) != tt.payload {
			t.Errorf("message %d: payload %s, want %s", i, m.Payload, tt.payload)
		}
	}
}

// TestLayout checks the documented byte layout independently of the
// decoder: lengths and both CRCs.
func TestLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf, nil).Event(EventSubscribeToShard, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	total := binary.BigEndian.Uint32(b[0:4])
	headersLen := binary.BigEndian.Uint32(b[4:8])
	if int(total) != len(b) {
		t.Fatalf("total length %d, message is %d bytes", total, len(b))
	}
	if got, want := binary.BigEndian.Uint32(b[8:12]), crc32.ChecksumIEEE(b[0:8]); got != want {
		t.Errorf("prelude CRC %08x, want %08x", got, want)
	}
	if got, want := binary.BigEndian.Uint32(b[len(b)-4:]), crc32.ChecksumIEEE(b[:len(b)-4]); got != want {
		t.Errorf("message CRC %08x, want %08x", got, want)
	}
	if payload := b[12+headersLen : len(b)-4]; string(payload) != `{"a":1}` {
		t.Errorf("payload %q", payload)
	}
	// First header: name length, name, type 7 (string), uint16 length, value.
	h := b[12:]
	name := string(h[1 : 1+h[0]])
	if name != ":event-type" || h[1+h[0]] != 7 {
		t.Errorf("first header %q type %d", name, h[1+h[0]])
	}
}

func TestPayloadCap(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf, nil).Event(EventSubscribeToShard, make([]byte, MaxPayload+1)); err == nil {
		t.Fatal("oversized payload accepted")
	}
	if buf.Len() != 0 {
		t.Fatal("oversized payload partly written")
	}
}
