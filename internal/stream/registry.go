package stream

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
)

// Config holds the account-wide settings the registry enforces. The zero
// value of a delay means the transition is instant.
type Config struct {
	AccountID string
	Region    string
	// ShardLimit is the account's open-shard quota (LimitExceededException
	// beyond it). OnDemandStreamLimit caps ON_DEMAND streams.
	ShardLimit          int
	OnDemandStreamLimit int
	// CreateDelay, DeleteDelay and UpdateDelay are how long streams stay
	// CREATING, DELETING and UPDATING; ConsumerDelay is how long consumers
	// stay CREATING (and DELETING).
	CreateDelay, DeleteDelay, UpdateDelay, ConsumerDelay time.Duration
}

// Defaults applied to zero Config fields.
const (
	DefaultShardLimit          = 20000
	DefaultOnDemandStreamLimit = 50
	DefaultRetentionHours      = 24
	MaxRetentionHours          = 8760
	DefaultMaxRecordSizeKiB    = 1024
	// OnDemandShards is the number of shards an ON_DEMAND stream starts with.
	OnDemandShards = 4
	// MaxConsumers is the number of consumers a stream may have.
	MaxConsumers = 20
	// MaxTags is the number of tags a stream or consumer may carry.
	MaxTags = 50
)

// Registry is the set of streams of one account and region. It is not safe
// for concurrent use: the caller serialises access.
type Registry struct {
	cfg Config
	doc document
	// byID indexes doc.Streams by stream ID (shard iterators name streams
	// by ID, so every GetRecords looks one up).
	byID map[uint64]*Stream
}

// document is the persisted form of the registry.
type document struct {
	Version      int                `json:"version"`
	NextStreamID uint64             `json:"nextStreamId"`
	TokenKey     []byte             `json:"tokenKey"`
	Streams      map[string]*Stream `json:"streams"`
	// Buried holds deleted streams whose names were reused before Sweep
	// collected them.
	Buried  []*Stream       `json:"buried,omitempty"`
	Account AccountSettings `json:"account"`
}

// AccountSettings are the account-level settings of UpdateAccountSettings.
type AccountSettings struct {
	// Commitment is the MinimumThroughputBillingCommitment status:
	// "" (never set), ENABLED or DISABLED.
	Commitment        string `json:"commitment,omitempty"`
	CommitmentStarted int64  `json:"commitmentStarted,omitempty"`
	CommitmentEnded   int64  `json:"commitmentEnded,omitempty"`
}

const documentVersion = 1

// New returns an empty registry. tokenKey is the secret that seals shard
// iterators and page tokens; it is persisted with the registry.
func New(cfg Config, tokenKey []byte) *Registry {
	r := &Registry{cfg: withDefaults(cfg), byID: map[uint64]*Stream{}}
	r.doc = document{Version: documentVersion, NextStreamID: 1, TokenKey: tokenKey, Streams: map[string]*Stream{}}
	return r
}

// Load restores a registry from a document produced by MarshalJSON.
func Load(cfg Config, doc []byte) (*Registry, error) {
	r := &Registry{cfg: withDefaults(cfg)}
	if err := json.Unmarshal(doc, &r.doc); err != nil {
		return nil, fmt.Errorf("stream: decode metadata: %w", err)
	}
	if r.doc.Version != documentVersion {
		return nil, fmt.Errorf("stream: metadata version %d, want %d", r.doc.Version, documentVersion)
	}
	if r.doc.Streams == nil {
		r.doc.Streams = map[string]*Stream{}
	}
	r.byID = make(map[uint64]*Stream, len(r.doc.Streams))
	for _, s := range r.doc.Streams {
		s.reindex()
		r.byID[s.ID] = s
	}
	return r, nil
}

func withDefaults(cfg Config) Config {
	if cfg.ShardLimit == 0 {
		cfg.ShardLimit = DefaultShardLimit
	}
	if cfg.OnDemandStreamLimit == 0 {
		cfg.OnDemandStreamLimit = DefaultOnDemandStreamLimit
	}
	return cfg
}

// MarshalJSON returns the registry's persisted form.
func (r *Registry) MarshalJSON() ([]byte, error) { return json.Marshal(&r.doc) }

// Config returns the registry's configuration.
func (r *Registry) Config() *Config { return &r.cfg }

// TokenKey returns the secret that seals tokens.
func (r *Registry) TokenKey() []byte { return r.doc.TokenKey }

// Account returns the account settings.
func (r *Registry) Account() *AccountSettings { return &r.doc.Account }

// notFound is AWS's message for a stream that does not exist.
func (r *Registry) notFound(name string) error {
	return apierr.Errorf(apierr.ResourceNotFound, "Stream %s under account %s not found.", name, r.cfg.AccountID)
}

// Lookup returns the stream with the given name, or ResourceNotFound. A
// stream that has finished DELETING is not found even before Sweep removes it.
func (r *Registry) Lookup(name string, now int64) (*Stream, error) {
	s := r.doc.Streams[name]
	if s == nil || s.Gone(&r.cfg, now) {
		return nil, r.notFound(name)
	}
	return s, nil
}

// LookupID returns the stream with the given internal ID, or nil.
func (r *Registry) LookupID(id uint64, now int64) *Stream {
	if s := r.byID[id]; s != nil && !s.Gone(&r.cfg, now) {
		return s
	}
	return nil
}

// Resolve finds the stream named by a request's StreamName or StreamARN
// (either may be empty, not both).
func (r *Registry) Resolve(name, arn string, now int64) (*Stream, error) {
	if arn != "" {
		n, err := r.nameFromARN(arn)
		if err != nil {
			return nil, err
		}
		if name != "" && name != n {
			return nil, apierr.Errorf(apierr.InvalidArgument,
				"StreamARN %s and StreamName %s do not refer to the same stream.", arn, name)
		}
		name = n
	}
	if name == "" {
		return nil, apierr.New(apierr.InvalidArgument, "Either StreamName or StreamARN should be provided.")
	}
	return r.Lookup(name, now)
}

// nameFromARN extracts the stream name from a stream ARN of this account
// and region.
func (r *Registry) nameFromARN(arn string) (string, error) {
	prefix := fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/", r.cfg.Region, r.cfg.AccountID)
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", apierr.Errorf(apierr.ResourceNotFound, "Stream %s not found.", arn)
	}
	return name, nil
}

// Streams returns the live streams sorted by name.
func (r *Registry) Streams(now int64) []*Stream {
	out := make([]*Stream, 0, len(r.doc.Streams))
	for _, s := range r.doc.Streams {
		if !s.Gone(&r.cfg, now) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Sweep removes streams that have finished DELETING and returns them so
// that the caller can delete their shard logs.
func (r *Registry) Sweep(now int64) []*Stream {
	gone := r.doc.Buried
	r.doc.Buried = nil
	for name, s := range r.doc.Streams {
		if s.Gone(&r.cfg, now) {
			gone = append(gone, s)
			delete(r.doc.Streams, name)
			delete(r.byID, s.ID)
		}
	}
	return gone
}

// OpenShardTotal returns the number of open shards of all live streams,
// which the account's shard limit caps.
func (r *Registry) OpenShardTotal(now int64) int {
	n := 0
	for _, s := range r.Streams(now) {
		n += s.OpenShardCount()
	}
	return n
}

// OnDemandStreamCount returns the number of live ON_DEMAND streams.
func (r *Registry) OnDemandStreamCount(now int64) int {
	n := 0
	for _, s := range r.Streams(now) {
		if s.Mode == ModeOnDemand {
			n++
		}
	}
	return n
}

// checkShardLimit fails with AWS's LimitExceeded message if adding extra
// open shards would exceed the account's quota.
func (r *Registry) checkShardLimit(extra int, now int64) error {
	cur := r.OpenShardTotal(now)
	if cur+extra <= r.cfg.ShardLimit {
		return nil
	}
	return apierr.Errorf(apierr.LimitExceeded,
		"This request would exceed the shard limit for the account %s in %s. "+
			"Current shard count for the account: %d. Limit: %d. "+
			"Number of additional shards that would have resulted from this request: %d. "+
			"Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "+
			"for current limits and how to request higher limits.",
		r.cfg.AccountID, r.cfg.Region, cur, r.cfg.ShardLimit, extra)
}

// requireActive fails with ResourceInUse unless the stream is ACTIVE.
func (r *Registry) requireActive(s *Stream, now int64) error {
	if st := s.Status(&r.cfg, now); st != StatusActive {
		return apierr.Errorf(apierr.ResourceInUse, "Stream %s under account %s not ACTIVE, instead in state %s",
			s.Name, r.cfg.AccountID, st)
	}
	return nil
}

// startUpdate puts the stream in UPDATING for the configured delay.
func (r *Registry) startUpdate(s *Stream, now int64) {
	if d := r.cfg.UpdateDelay.Milliseconds(); d > 0 {
		s.UpdatingUntil = now + d
	}
}
