package logstore

import (
	"errors"
	"io"
)

// scanner reads the frames of one segment file forward from an offset,
// never past the segment's committed size. It never reuses a buffer, so
// records decoded from returned frames stay valid.
type scanner struct {
	f        *openFile
	e        *Engine
	path     string
	end      int64  // committed size of the segment
	off      int64  // offset of the next frame
	buf      []byte // file bytes from bufAt
	bufAt    int64
	chunk    int // bytes to read at a time...
	maxChunk int // ...growing up to this
}

// scan starts a scanner of seg at off. It reads at most maxChunk bytes at
// a time, starting with less in case the caller needs little.
func (e *Engine) scan(s *shard, seg *segment, off int64, maxChunk int) (*scanner, error) {
	path := segPath(s.dir, seg.base)
	f, err := e.files.acquire(path)
	if err != nil {
		return nil, err
	}
	return &scanner{f: f, e: e, path: path, end: seg.size, off: off, bufAt: off,
		chunk: min(maxChunk, 64<<10+e.opts.IndexInterval), maxChunk: maxChunk}, nil
}

func (sc *scanner) close() { sc.e.files.release(sc.f) }

// next returns the next frame, unverified, or nil at the end of the
// segment.
func (sc *scanner) next() ([]byte, error) {
	if sc.off >= sc.end {
		return nil, nil
	}
	b := sc.buf[sc.off-sc.bufAt:]
	n, err := frameLen(b)
	for err == errShort { // at most twice: for the header, then for the whole frame
		if err := sc.fill(max(n, frameHeaderSize)); err != nil {
			return nil, err
		}
		b = sc.buf
		n, err = frameLen(b)
	}
	if err != nil {
		return nil, sc.corrupt(err)
	}
	sc.off += int64(n)
	return b[:n], nil
}

// fill reads a new buffer starting at the next frame, of at least need
// bytes.
func (sc *scanner) fill(need int) error {
	size := min(int64(max(need, sc.chunk)), sc.end-sc.off)
	if size < int64(need) {
		return sc.corrupt(errShort) // the frame runs past the segment's end
	}
	buf := make([]byte, size)
	sc.chunk = min(2*sc.chunk, sc.maxChunk) // read more at a time as the scan goes on
	if _, err := sc.f.ReadAt(buf, sc.off); errors.Is(err, io.EOF) {
		return sc.corrupt(errors.New("segment file shorter than its committed size"))
	} else if err != nil {
		return err
	}
	sc.buf, sc.bufAt = buf, sc.off
	return nil
}

func (sc *scanner) corrupt(err error) error {
	return &CorruptionError{Path: sc.path, Offset: sc.off, Reason: err.Error()}
}
