package bench

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"time"
)

// stampSize is the size of the mixed-mode stamp; see the package doc.
const stampSize = 16

var stampMagic = [4]byte{'R', 'N', 'L', 'B'}

// stamp writes the mixed-mode header into the first stampSize bytes of data.
func stamp(data []byte, run uint32, sinceStart time.Duration) {
	copy(data[0:4], stampMagic[:])
	binary.BigEndian.PutUint32(data[4:8], run)
	binary.BigEndian.PutUint64(data[8:16], uint64(sinceStart))
}

// readStamp returns the put time stamped into data by run. ok is false for
// records that are too short, not stamped, from another run, or stamped with
// a negative time.
func readStamp(data []byte, run uint32) (sinceStart time.Duration, ok bool) {
	if len(data) < stampSize || [4]byte(data[0:4]) != stampMagic {
		return 0, false
	}
	if binary.BigEndian.Uint32(data[4:8]) != run {
		return 0, false
	}
	t := int64(binary.BigEndian.Uint64(data[8:16]))
	if t < 0 {
		return 0, false
	}
	return time.Duration(t), true
}

// randomKeysPerClient is the pool of random partition keys each client cycles
// through; large enough that batches spread evenly over any shard count.
const randomKeysPerClient = 4096

// keyRing hands out partition keys without allocating. Each client owns one.
type keyRing struct {
	keys []string
	next int
}

// newKeyRing returns client's keys: n shared keys "pk-0" .. "pk-<n-1>"
// (shared must hold them), or a private pool of random keys when n is 0.
func newKeyRing(shared []string, client int, rng *rand.Rand) *keyRing {
	if len(shared) > 0 {
		// Start each client at a different key so they do not move in step.
		return &keyRing{keys: shared, next: client % len(shared)}
	}
	keys := make([]string, randomKeysPerClient)
	for i := range keys {
		keys[i] = strconv.FormatUint(rng.Uint64(), 16)
	}
	return &keyRing{keys: keys}
}

// countedKeys returns the n keys that clients share when PartitionKeys is n.
func countedKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "pk-" + strconv.Itoa(i)
	}
	return keys
}

// take returns a pointer to the next key; the SDK wants *string.
func (k *keyRing) take() *string {
	key := &k.keys[k.next]
	k.next++
	if k.next == len(k.keys) {
		k.next = 0
	}
	return key
}

// randomPayloads returns n payloads of size bytes each, carved from one
// random buffer.
func randomPayloads(rng *rand.Rand, n, size int) [][]byte {
	buf := make([]byte, n*size)
	for i := 0; i+8 <= len(buf); i += 8 {
		binary.LittleEndian.PutUint64(buf[i:], rng.Uint64())
	}
	for i := len(buf) &^ 7; i < len(buf); i++ {
		buf[i] = byte(rng.Uint32())
	}
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = buf[i*size : (i+1)*size : (i+1)*size]
	}
	return payloads
}
