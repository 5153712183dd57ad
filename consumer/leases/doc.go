// Package leases holds the lease table of a Kinesis consumer application:
// one lease per shard, saying which worker processes the shard and how far
// it has got.
//
// A lease is owned by at most one worker at a time. Every change of a lease
// is a conditional write on its counter (and, for the owner's own writes,
// its owner): the owner bumps the counter on each renewal, so a lease whose
// counter stands still for longer than the lease duration belongs to a
// worker that has stopped, and another worker may take it. Expiry is judged
// by each reader on its own clock from how long it has seen the counter
// unchanged, so workers need no synchronised clocks.
//
// Two Stores implement the table: Memory, for the workers of one process,
// and DynamoDB, whose table follows the Kinesis Client Library's lease
// table (hash key leaseKey; attributes leaseOwner, leaseCounter,
// ownerSwitchesSinceCheckpoint, checkpoint, checkpointSubSequenceNumber,
// parentShardId, childShardIds, startingHashKey, endingHashKey), so that
// the table can be read by the KCL's tools.
package leases
