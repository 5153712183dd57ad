// Package stream is runnel's deterministic core: the registry of streams,
// their shards and hash-key ranges, resharding and lineage, lifecycle states,
// consumers, tags, retention and the other per-stream settings.
//
// It does no I/O and reads no clock: every method that depends on time takes
// the current time as an argument, so the whole state machine is tested
// without disks, sockets or sleeps. The caller (package kinesisapi) owns the
// lock that serialises access, the storage engine that holds the records, and
// the persistence of the registry, which it saves after every successful
// mutation as the JSON document produced by Registry.MarshalJSON.
//
// Lifecycle transitions are lazy: a stream records when it was created, when
// its last update started and when its deletion was requested, and its status
// is derived from those times and the configured delays. A restart therefore
// resumes every transition where it was.
//
// Errors meant for clients are *apierr.Error values carrying AWS's messages.
package stream
