package logstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/runnel-dev/runnel/internal/storage"
)

// Frozen on-disk constants: changing any of them makes existing data
// unreadable. See the package documentation for the layouts.
const (
	fileMagic   = "RUNNEL" // first 6 bytes of every file
	fileVersion = 1        // byte 7 of every file

	kindSegment    = 'S'
	kindIndex      = 'I'
	kindWAL        = 'W'
	kindCheckpoint = 'C'
	kindMeta       = 'M'

	fileHeaderSize  = 16
	frameHeaderSize = 27
	indexEntrySize  = 24
	walHeaderSize   = 40

	walOpCreate = 1
	walOpDelete = 2
	walOpAppend = 3
	walOpTrim   = 4
)

// Limits that are not part of the format.
const (
	maxFrameSize = 64 << 20 // larger frames are rejected as corrupt
	maxKeyLen    = 1<<16 - 1
	// maxBatchBytes caps the encoded size of one Append, and so of one
	// log entry.
	maxBatchBytes = 256 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is matched (with errors.Is) by errors reporting stored data
// that fails its checksum or is otherwise malformed.
var ErrCorrupt = errors.New("logstore: corrupt data")

// CorruptionError locates damaged data.
type CorruptionError struct {
	Path   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("logstore: corrupt data in %s at offset %d: %s", e.Path, e.Offset, e.Reason)
}

// Is makes a CorruptionError match ErrCorrupt.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }

// errShort reports that a buffer ends inside a frame or entry: at the end
// of a file that is a torn tail, inside a read buffer it means read more.
var errShort = errors.New("logstore: short buffer")

// appendFileHeader appends the 16-byte header of a file of the given kind.
func appendFileHeader(b []byte, kind byte, base uint64) []byte {
	b = append(b, fileMagic...)
	b = append(b, kind, fileVersion)
	return binary.LittleEndian.AppendUint64(b, base)
}

// parseFileHeader checks a file header and returns its base field.
func parseFileHeader(b []byte, kind byte) (uint64, error) {
	if len(b) < fileHeaderSize {
		return 0, errShort
	}
	if string(b[:6]) != fileMagic || b[6] != kind {
		return 0, fmt.Errorf("bad file header %q", b[:7])
	}
	if b[7] != fileVersion {
		return 0, fmt.Errorf("unsupported format version %d", b[7])
	}
	return binary.LittleEndian.Uint64(b[8:16]), nil
}

// frameSize returns the encoded size of r's frame.
func frameSize(r *storage.Record) int {
	return frameHeaderSize + len(r.PartitionKey) + len(r.Data)
}

// appendFrame appends r's frame in its unsealed form: the index is zero,
// the arrival is r.Arrival and the CRC slot holds the CRC of the body
// (bytes [24:]). sealFrame completes it once the index is known, so that
// the expensive part of the checksum is computed off the serial write path.
func appendFrame(b []byte, r *storage.Record) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(frameSize(r)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(r.Arrival))
	b = append(b, r.Flags)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.PartitionKey)))
	b = append(b, r.PartitionKey...)
	b = append(b, r.Data...)
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+24:], crcTable))
	return b
}

// frameArrival returns the arrival field of a frame.
func frameArrival(f []byte) int64 { return int64(binary.LittleEndian.Uint64(f[16:24])) }

// sealFrame sets an unsealed frame's index and arrival and completes its
// CRC: CRC-32C of bytes [24:size] followed by bytes [8:24].
func sealFrame(f []byte, index uint64, arrival int64) {
	binary.LittleEndian.PutUint64(f[8:], index)
	binary.LittleEndian.PutUint64(f[16:], uint64(arrival))
	body := binary.LittleEndian.Uint32(f[4:])
	binary.LittleEndian.PutUint32(f[4:], crc32.Update(body, crcTable, f[8:24]))
}

// frameLen returns the size field of the frame starting b, or errShort.
func frameLen(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, errShort
	}
	n := binary.LittleEndian.Uint32(b)
	if n < frameHeaderSize || n > maxFrameSize {
		return 0, fmt.Errorf("bad frame size %d", n)
	}
	if int(n) > len(b) {
		return int(n), errShort
	}
	return int(n), nil
}

// decodeFrame decodes the frame at the start of b. The record's Data
// aliases b. It returns errShort if b ends inside the frame.
func decodeFrame(b []byte) (storage.Record, int, error) {
	n, err := frameLen(b)
	if err != nil {
		return storage.Record{}, n, err
	}
	f := b[:n]
	crc := crc32.Update(crc32.Checksum(f[24:], crcTable), crcTable, f[8:24])
	if crc != binary.LittleEndian.Uint32(f[4:]) {
		return storage.Record{}, n, errors.New("frame checksum mismatch")
	}
	keyLen := int(binary.LittleEndian.Uint16(f[25:]))
	if frameHeaderSize+keyLen > n {
		return storage.Record{}, n, fmt.Errorf("key length %d overflows frame of %d bytes", keyLen, n)
	}
	return storage.Record{
		Index:        binary.LittleEndian.Uint64(f[8:]),
		Arrival:      int64(binary.LittleEndian.Uint64(f[16:])),
		Flags:        f[24],
		PartitionKey: string(f[frameHeaderSize : frameHeaderSize+keyLen]),
		Data:         f[frameHeaderSize+keyLen : n : n],
	}, n, nil
}

// indexEntry is one entry of a segment's sparse index: the record with
// the given index starts at offset in the segment file.
type indexEntry struct {
	index   uint64
	arrival int64
	offset  uint32
}

func appendIndexEntry(b []byte, e indexEntry) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint64(b, e.index)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.arrival))
	b = binary.LittleEndian.AppendUint32(b, e.offset)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], crcTable))
}

// decodeIndex decodes the entries of an index file body (after the file
// header), stopping at the first damaged or out-of-order entry: the index
// is a hint, and a shorter one only makes reads scan further.
func decodeIndex(b []byte) []indexEntry {
	entries := make([]indexEntry, 0, len(b)/indexEntrySize)
	for ; len(b) >= indexEntrySize; b = b[indexEntrySize:] {
		if crc32.Checksum(b[:20], crcTable) != binary.LittleEndian.Uint32(b[20:]) {
			break
		}
		e := indexEntry{
			index:   binary.LittleEndian.Uint64(b),
			arrival: int64(binary.LittleEndian.Uint64(b[8:])),
			offset:  binary.LittleEndian.Uint32(b[16:]),
		}
		if k := len(entries); k > 0 && (e.index <= entries[k-1].index || e.offset <= entries[k-1].offset || e.arrival < entries[k-1].arrival) {
			break
		}
		entries = append(entries, e)
	}
	return entries
}

// walEntry is the header of a write-ahead log entry.
type walEntry struct {
	size  uint32 // header plus payload
	lsn   uint64
	op    uint8
	shard storage.ShardID
	arg   uint64
}

func appendWALHeader(b []byte, e walEntry) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, e.size)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, e.lsn)
	b = append(b, e.op, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, e.shard.Index)
	b = binary.LittleEndian.AppendUint64(b, e.shard.Stream)
	b = binary.LittleEndian.AppendUint64(b, e.arg)
	binary.LittleEndian.PutUint32(b[start+4:], walHeaderCRC(b[start:]))
	return b
}

// walHeaderCRC is the CRC of a log entry header: bytes [0:4] then [8:40].
func walHeaderCRC(h []byte) uint32 {
	return crc32.Update(crc32.Checksum(h[:4], crcTable), crcTable, h[8:walHeaderSize])
}

// decodeWALHeader decodes the entry header at the start of b.
func decodeWALHeader(b []byte) (walEntry, error) {
	if len(b) < walHeaderSize {
		return walEntry{}, errShort
	}
	if walHeaderCRC(b) != binary.LittleEndian.Uint32(b[4:]) {
		return walEntry{}, errors.New("entry header checksum mismatch")
	}
	e := walEntry{
		size:  binary.LittleEndian.Uint32(b),
		lsn:   binary.LittleEndian.Uint64(b[8:]),
		op:    b[16],
		shard: storage.ShardID{Index: binary.LittleEndian.Uint32(b[20:]), Stream: binary.LittleEndian.Uint64(b[24:])},
		arg:   binary.LittleEndian.Uint64(b[32:]),
	}
	if e.op < walOpCreate || e.op > walOpTrim || e.size < walHeaderSize || e.size > walHeaderSize+maxBatchBytes ||
		(e.op != walOpAppend && e.size != walHeaderSize) {
		return walEntry{}, fmt.Errorf("bad entry header (op %d, size %d)", e.op, e.size)
	}
	return e, nil
}
