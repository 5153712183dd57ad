package logstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// LoadMeta implements storage.Engine.
func (e *Engine) LoadMeta(ctx context.Context) ([]byte, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	b, err := e.fs.ReadFile(e.path(metaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("logstore: load metadata: %w", err)
	}
	doc, err := parseChecksummed(b, kindMeta)
	if err != nil {
		return nil, &CorruptionError{Path: e.path(metaFile), Reason: err.Error()}
	}
	return doc, nil
}

// SaveMeta implements storage.Engine. The document is replaced atomically
// (temporary file, fsync, rename, fsync of the directory).
func (e *Engine) SaveMeta(ctx context.Context, doc []byte) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	e.metaMu.Lock()
	defer e.metaMu.Unlock()
	if err := e.replaceFile(metaFile, appendChecksummed(appendFileHeader(nil, kindMeta, 0), doc)); err != nil {
		return fmt.Errorf("logstore: save metadata: %w", err)
	}
	return nil
}
