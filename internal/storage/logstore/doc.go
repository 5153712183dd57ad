// Package logstore is the durable storage.Engine: per-shard segment files
// on local disk, behind one write-ahead log shared by all shards.
//
// # Design
//
// Appends from every caller go to one flusher goroutine. It takes whatever
// is queued, gives the records their indexes, writes them to the shards'
// segment files (through the page cache, unsynced), then writes them once
// more, as entries of the shared write-ahead log, with one write and one
// fdatasync for the whole group, and only then publishes and acknowledges
// them. So concurrent Appends to any number of shards share one sync
// (group commit), and 10,000 shards cost one fsync per group, not 10,000.
// The price is that every byte is written twice; the second copy goes to
// the segment files through the page cache, which the kernel and the next
// checkpoint write back in large sequential runs.
//
// Group commit is pipelined, as in Pebble's LogWriter: the fdatasync runs
// on a second goroutine, and while it is in flight the flusher stages the
// requests queued meanwhile on top of the unpublished state of the groups
// before them, writes them to the segment files and the log, and waits.
// When the sync returns, the next one starts at once, covering every group
// written since, and the synced groups are published and acknowledged, in
// log order. So a request arriving during a sync waits for that sync and
// one more, not for a whole write and sync after it. The log moves to a
// new file only with no sync in flight and nothing left to sync.
//
// The log's syncs overwrite rather than append wherever they can, since an
// fdatasync that must also update the file's size and block allocation
// (on ext4, a journal commit) costs about 40% more, in latency and CPU, on
// the project's machines. A new log file is extended with zeros
// 1 MiB ahead of its entries, and the log files that a
// checkpoint releases are kept as spares and renamed into use as the next
// log files, as Pebble recycles its logs. Before the log moves to a new
// file, and on Close, the end of the entries is sealed with an all-zero
// entry header, so that replay can tell the end of a reused file's new
// entries from its old ones.
//
// The alternative, per-shard segment files synced directly, writes once but
// needs one fsync per shard touched by a group, which does not scale to
// thousands of active shards.
//
// A checkpoint, every Options.CheckpointBytes of log, syncs the segment and
// index files written since the previous one, records every shard's
// published state (its segments, sizes, next index) as of the log position
// where the last published group ends, in the CHECKPOINT file, and
// deletes the log files before that position. Recovery loads the
// checkpoint, cuts each shard's active segment back to its checkpointed
// size, replays the log from the checkpoint's position, cutting a torn or
// damaged tail (logged), and writes a new checkpoint. Segment data written
// after the last checkpoint is never trusted: the log has it. Start-up work
// is therefore proportional to the number of shards and segments plus the
// log written since the last checkpoint, independent of the volume stored.
//
// Memory: the engine keeps no records. Per shard it holds the list of its
// segments (about 80 bytes each) and the sparse index of its active
// segment (24 bytes per Options.IndexInterval of data, at most 48 KiB with
// the defaults); the sparse indexes of other segments are loaded on demand
// into a cache bounded by Options.IndexCacheEntries; open files are
// bounded by Options.MaxOpenFiles.
//
// Errors: a failed segment write fails the requests of that shard; a failed
// log write fails the whole group; a failed sync fails the groups it
// covers and every group written behind them, which were staged on their
// state, and the log's end goes back to where the first of them began.
// Nothing is published for a failed request and no state advances, so the
// next request writes over the same offsets: the engine recovers by itself
// when the fault (a full disk, say) goes away. Indexes given to failed
// records are given again only once the log no longer holds them: stale
// log entries beyond the end have lower LSNs than the entries written over
// them, and replay stops at the first entry whose LSN goes backwards.
//
// Trim deletes whole segments whose last arrival is older than the cutoff
// (logged first, so that a crash cannot undo it); when every record is
// older, the shard continues in a new, empty segment. DeleteShard logs the
// deletion, then removes the shard's directory in the background.
//
// Lock order: Engine.mu, then fileCache.mu or indexCache.mu; spareLogs.mu
// is taken with no other lock held. The flusher owns the log, the pipeline, the dirty-path set and all changes to
// shards; the syncer goroutine only syncs the log file it is handed.
// Readers take no lock on a shard: they load its immutable view
// atomically.
//
// # Files
//
// All integers are little-endian. CRC is CRC-32C (Castagnoli).
//
//	<dir>/LOCK                       advisory lock held while open
//	<dir>/CHECKPOINT                 the last checkpoint
//	<dir>/META                       the metadata document
//	<dir>/wal/<seq:%016x>.wal        write-ahead log files, seq increasing; those
//	                                 before the checkpoint's are spares
//	<dir>/shards/<stream:%016x>-<shard:%08x>-<incarnation:%016x>/
//	        <base:%016x>.seg         segment: records from index base
//	        <base:%016x>.idx         the segment's sparse index
//
// The incarnation is the LSN of the log entry that created the shard, so a
// shard deleted and created again never shares a directory.
//
// Every file starts with a 16-byte header:
//
//	0   [6]byte "RUNNEL"   magic (frozen)
//	6   byte    kind       'S' segment, 'I' index, 'W' log, 'C' checkpoint, 'M' metadata (frozen)
//	7   byte    version    1 (frozen; a new layout takes a new version)
//	8   uint64  base       segment and index: index of the first record;
//	                       log: the file's sequence number; otherwise 0
//
// A segment file is the header followed by record frames:
//
//	0   uint32  size       frame length, this field included: 27+len(key)+len(data)
//	4   uint32  crc        CRC of bytes [24:size] followed by bytes [8:24]
//	8   uint64  index      the record's index
//	16  int64   arrival    approximate arrival, Unix milliseconds
//	24  uint8   flags      storage.Flag* bits
//	25  uint16  keylen
//	27  key, then data
//
// (The checksum covers the body first so that the part that depends on the
// data is computed on the caller's goroutine, before the index is known.)
//
// An index file is the header followed by 24-byte entries, one for the
// first record of the segment and then one at least every
// Options.IndexInterval bytes, in increasing order:
//
//	0   uint64  index      a record's index
//	8   int64   arrival    its arrival
//	16  uint32  offset     its frame's offset in the segment file
//	20  uint32  crc        CRC of bytes [0:20]
//
// The index is a hint: entries past a damaged one are ignored, which only
// makes reads scan further.
//
// A log file is the header followed by entries, up to an all-zero entry
// header or the end of the file (after a crash, a torn or stale entry ends
// the log instead, and is cut off). An entry is:
//
//	0   uint32  size       entry length, header included
//	4   uint32  crc        CRC of bytes [0:4] followed by bytes [8:40]
//	8   uint64  lsn        log sequence number, increasing across all files
//	16  uint8   op         1 create shard, 2 delete shard, 3 append, 4 trim
//	17  [3]byte            zero
//	20  uint32  shard      shard index
//	24  uint64  stream     stream identifier
//	32  uint64  arg        append: index of the first record; trim: the new
//	                       first index (segments wholly below it go)
//	40  payload            append: one or more record frames, consecutive
//	                       indexes from arg, each checked by its own CRC
//
// CHECKPOINT and META are the header, a uint32 body length, a uint32 CRC of
// the body, and the body; both are replaced atomically (temporary file,
// fsync, rename, fsync of the directory). META's body is the document. The
// checkpoint's body is:
//
//	uint64 log file seq, uint64 offset in it, uint64 next LSN, uint32 shard count, then per shard:
//	  uint64 stream, uint32 shard, uint64 incarnation, uint64 next index, int64 last arrival,
//	  uint32 segment count, then per segment (oldest first, the active one last):
//	    uint64 base, uint64 size, uint64 offset of the last frame (0 if empty),
//	    uint32 index entries in the index file, int64 last arrival
package logstore
