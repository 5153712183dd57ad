package logstore

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

// SyncMode says when the write-ahead log is flushed to stable storage.
type SyncMode int

const (
	// SyncAlways flushes (fdatasync) before Append returns. Concurrent
	// Appends to any shards share one flush (group commit). Nothing that
	// was acknowledged is lost by a process crash or a power loss.
	SyncAlways SyncMode = iota
	// SyncInterval acknowledges once the records are written to the
	// operating system, and flushes every SyncPolicy.Interval. A process
	// crash loses nothing; a power loss or kernel crash loses up to the
	// last interval of acknowledged records, and their indexes are then
	// given to new records.
	SyncInterval
	// SyncNever acknowledges once the records are written to the
	// operating system and never flushes the log, except when a log file
	// is full; checkpoints (see Options.CheckpointBytes) and Close make
	// everything before them durable. A process crash loses nothing; a
	// power loss or kernel crash loses what the kernel had not written
	// back, up to everything since the last checkpoint, and the indexes of
	// lost records are given again.
	SyncNever
)

// SyncPolicy is the fsync policy. The zero value is SyncAlways.
type SyncPolicy struct {
	Mode SyncMode
	// Interval is the flush period of SyncInterval.
	Interval time.Duration
}

// ParseSyncPolicy parses "always", "never" or "interval=<duration>" (for
// example "interval=100ms"), the syntax of the --fsync flag.
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	switch {
	case s == "always":
		return SyncPolicy{Mode: SyncAlways}, nil
	case s == "never":
		return SyncPolicy{Mode: SyncNever}, nil
	case strings.HasPrefix(s, "interval="):
		d, err := time.ParseDuration(strings.TrimPrefix(s, "interval="))
		if err != nil || d <= 0 {
			return SyncPolicy{}, fmt.Errorf("logstore: bad fsync interval in %q", s)
		}
		return SyncPolicy{Mode: SyncInterval, Interval: d}, nil
	}
	return SyncPolicy{}, fmt.Errorf("logstore: unknown fsync policy %q (want always, never or interval=<duration>)", s)
}

func (p SyncPolicy) String() string {
	switch p.Mode {
	case SyncInterval:
		return "interval=" + p.Interval.String()
	case SyncNever:
		return "never"
	}
	return "always"
}

// Options configure an Engine. The zero value of every field selects its
// default.
type Options struct {
	// Logger receives recovery reports and background errors. Default:
	// discard.
	Logger *slog.Logger
	// FS is the filesystem. Default: vfs.Default.
	FS vfs.FS
	// Sync is the fsync policy. Default: SyncAlways.
	Sync SyncPolicy
	// SegmentBytes is the size at which a shard's segment file is closed
	// and a new one started; retention deletes whole segments. Default
	// 64 MiB; at most 1 GiB.
	SegmentBytes int64
	// WALSegmentBytes is the size of write-ahead log files. Default 64 MiB.
	WALSegmentBytes int64
	// CheckpointBytes is the volume of write-ahead log after which a
	// checkpoint makes the segment files durable and lets the log be
	// deleted. It bounds the work of recovery. Default 64 MiB.
	CheckpointBytes int64
	// IndexInterval is the distance in bytes between sparse index entries
	// of a segment: a read scans at most this much before the record it
	// wants. Default 32 KiB.
	IndexInterval int
	// MaxOpenFiles caps the segment and index files kept open. Default 512.
	MaxOpenFiles int
	// IndexCacheEntries caps the sparse index entries of closed segments
	// cached in memory (24 bytes each). Default 1 Mi (24 MiB).
	IndexCacheEntries int
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	setDefault(&o.SegmentBytes, 64<<20)
	o.SegmentBytes = min(o.SegmentBytes, 1<<30)
	setDefault(&o.WALSegmentBytes, 64<<20)
	setDefault(&o.CheckpointBytes, 64<<20)
	setDefault(&o.IndexInterval, 32<<10)
	setDefault(&o.MaxOpenFiles, 512)
	o.MaxOpenFiles = max(o.MaxOpenFiles, 4)
	setDefault(&o.IndexCacheEntries, 1<<20)
	if o.Sync.Mode == SyncInterval && o.Sync.Interval <= 0 {
		o.Sync.Interval = 100 * time.Millisecond
	}
	return o
}

func setDefault[T int | int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
