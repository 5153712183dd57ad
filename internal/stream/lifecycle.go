package stream

import (
	"github.com/runnel-dev/runnel/internal/apierr"
)

// CreateParams are the arguments of CreateStream.
type CreateParams struct {
	Name string
	// ShardCount is the number of shards; 0 when the request had none.
	ShardCount       int
	Mode             string // "" means PROVISIONED
	MaxRecordSizeKiB int    // 0 means the default
	Tags             map[string]string
	WarmThroughput   int
}

// Create adds a stream in CREATING state (ACTIVE at once with no delay).
func (r *Registry) Create(p CreateParams, now int64) (*Stream, error) {
	if p.Mode == "" {
		p.Mode = ModeProvisioned
	}
	if err := r.checkCreate(&p, now); err != nil {
		return nil, err
	}
	if p.Mode == ModeOnDemand {
		p.ShardCount = OnDemandShards
	}
	if err := r.checkShardLimit(p.ShardCount, now); err != nil {
		return nil, err
	}
	if p.MaxRecordSizeKiB == 0 {
		p.MaxRecordSizeKiB = DefaultMaxRecordSizeKiB
	}
	s := &Stream{
		ID:               r.doc.NextStreamID,
		Name:             p.Name,
		Created:          now,
		RetentionHours:   DefaultRetentionHours,
		Mode:             p.Mode,
		MaxRecordSizeKiB: p.MaxRecordSizeKiB,
		Encryption:       EncryptionNone,
		WarmThroughput:   p.WarmThroughput,
	}
	if len(p.Tags) > 0 {
		s.Tags = make(map[string]string, len(p.Tags))
		for k, v := range p.Tags {
			s.Tags[k] = v
		}
	}
	for _, rg := range EvenRanges(p.ShardCount) {
		s.addShard(rg, now)
	}
	r.doc.NextStreamID++
	if old := r.doc.Streams[p.Name]; old != nil {
		// Gone but not yet swept: keep it for Sweep, which hands its shard
		// logs to the caller for deletion.
		r.doc.Buried = append(r.doc.Buried, old)
		delete(r.byID, old.ID)
	}
	r.doc.Streams[p.Name] = s
	r.byID[s.ID] = s
	return s, nil
}

func (r *Registry) checkCreate(p *CreateParams, now int64) error {
	if old := r.doc.Streams[p.Name]; old != nil && !old.Gone(&r.cfg, now) {
		return apierr.Errorf(apierr.ResourceInUse, "Stream %s under account %s already exists.", p.Name, r.cfg.AccountID)
	}
	if p.Mode != ModeProvisioned && p.Mode != ModeOnDemand {
		return apierr.Errorf(apierr.InvalidArgument, "Unknown stream mode %s.", p.Mode)
	}
	if p.ShardCount < 0 {
		return apierr.Errorf(apierr.InvalidArgument, "ShardCount must be positive, was %d.", p.ShardCount)
	}
	switch p.Mode {
	case ModeProvisioned:
		if p.ShardCount == 0 {
			return apierr.New(apierr.Validation,
				"1 validation error detected: Value null at 'shardCount' failed to satisfy constraint: Member must not be null")
		}
	case ModeOnDemand:
		if p.ShardCount != 0 {
			return apierr.New(apierr.InvalidArgument, "ShardCount is not supported for streams in ON_DEMAND mode.")
		}
		if r.OnDemandStreamCount(now) >= r.cfg.OnDemandStreamLimit {
			return apierr.Errorf(apierr.LimitExceeded,
				"This request would exceed the on-demand stream count limit for the account %s in %s. Limit: %d.",
				r.cfg.AccountID, r.cfg.Region, r.cfg.OnDemandStreamLimit)
		}
	}
	if len(p.Tags) > MaxTags {
		return tooManyTags(p.Name, r.cfg.AccountID)
	}
	return checkTagChars(p.Tags)
}

// addShard appends a new open shard with the next index.
func (s *Stream) addShard(rg Range, now int64, parents ...uint32) *Shard {
	sh := &Shard{Index: s.NextShardIndex, Range: rg, Created: now, Parents: parents}
	s.NextShardIndex++
	s.Shards = append(s.Shards, sh)
	for _, p := range parents {
		if ps := s.Shard(p); ps != nil {
			ps.Children = append(ps.Children, sh.Index)
		}
	}
	s.reindex()
	return sh
}

// Delete starts the deletion of a stream. Unless enforceConsumerDeletion is
// set, a stream with registered consumers cannot be deleted.
func (r *Registry) Delete(s *Stream, enforceConsumerDeletion bool, now int64) error {
	switch s.Status(&r.cfg, now) {
	case StatusCreating:
		return apierr.Errorf(apierr.ResourceInUse,
			"Attempt to change a resource which is still in use: Stream is being created: %s", s.Name)
	case StatusDeleting:
		return apierr.Errorf(apierr.ResourceInUse,
			"Stream %s under account %s not ACTIVE, instead in state %s", s.Name, r.cfg.AccountID, StatusDeleting)
	}
	if len(r.LiveConsumers(s, now)) > 0 && !enforceConsumerDeletion {
		return apierr.Errorf(apierr.ResourceInUse,
			"Stream %s under account %s has registered consumers. Deregister them, or set EnforceConsumerDeletion.",
			s.Name, r.cfg.AccountID)
	}
	s.DeleteRequested = now
	s.Consumers = nil
	return nil
}

// IncreaseRetention raises the retention period.
func (r *Registry) IncreaseRetention(s *Stream, hours int, now int64) error {
	if err := r.checkRetention(s, hours, now); err != nil {
		return err
	}
	if hours < s.RetentionHours {
		return apierr.Errorf(apierr.InvalidArgument,
			"Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.",
			hours, s.Name, s.RetentionHours)
	}
	s.ExpiredBefore = s.TrimHorizon(now)
	s.RetentionHours = hours
	return nil
}

// DecreaseRetention lowers the retention period.
func (r *Registry) DecreaseRetention(s *Stream, hours int, now int64) error {
	if err := r.checkRetention(s, hours, now); err != nil {
		return err
	}
	if hours > s.RetentionHours {
		return apierr.Errorf(apierr.InvalidArgument,
			"Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.",
			hours, s.Name, s.RetentionHours)
	}
	s.RetentionHours = hours
	return nil
}

func (r *Registry) checkRetention(s *Stream, hours int, now int64) error {
	if err := r.requireActive(s, now); err != nil {
		return err
	}
	if hours < DefaultRetentionHours {
		return apierr.Errorf(apierr.InvalidArgument,
			"Minimum allowed retention period is %d hours. Requested retention period (%d hours) is too short.",
			DefaultRetentionHours, hours)
	}
	if hours > MaxRetentionHours {
		return apierr.Errorf(apierr.InvalidArgument,
			"Maximum allowed retention period is %d hours. Requested retention period (%d hours) is too long.",
			MaxRetentionHours, hours)
	}
	return nil
}

// SetMode switches the capacity mode.
func (r *Registry) SetMode(s *Stream, mode string, now int64) error {
	if err := r.requireActive(s, now); err != nil {
		return err
	}
	if mode == s.Mode {
		return apierr.Errorf(apierr.InvalidArgument, "Stream %s under account %s is already in %s mode.",
			s.Name, r.cfg.AccountID, mode)
	}
	if mode == ModeOnDemand && r.OnDemandStreamCount(now) >= r.cfg.OnDemandStreamLimit {
		return apierr.Errorf(apierr.LimitExceeded,
			"This request would exceed the on-demand stream count limit for the account %s in %s. Limit: %d.",
			r.cfg.AccountID, r.cfg.Region, r.cfg.OnDemandStreamLimit)
	}
	s.Mode = mode
	s.ModeChanged = now
	r.startUpdate(s, now)
	return nil
}

// SetMaxRecordSize changes the stream's maximum record size.
func (r *Registry) SetMaxRecordSize(s *Stream, kib int, now int64) error {
	if err := r.requireActive(s, now); err != nil {
		return err
	}
	s.MaxRecordSizeKiB = kib
	r.startUpdate(s, now)
	return nil
}

// SetEncryption starts (KMS with keyID) or stops (NONE) stream encryption.
func (r *Registry) SetEncryption(s *Stream, typ, keyID string, now int64) error {
	if err := r.requireActive(s, now); err != nil {
		return err
	}
	if typ == EncryptionNone {
		if s.Encryption == EncryptionNone {
			return nil
		}
		if keyID != s.KeyID {
			return apierr.Errorf(apierr.InvalidArgument,
				"Stream %s under account %s is encrypted with key %s, not %s.", s.Name, r.cfg.AccountID, s.KeyID, keyID)
		}
		keyID = ""
	}
	s.Encryption, s.KeyID = typ, keyID
	r.startUpdate(s, now)
	return nil
}

// allMetrics is the set of shard-level metrics that "ALL" stands for.
var allMetrics = []string{
	"IncomingBytes", "IncomingRecords", "IteratorAgeMilliseconds", "OutgoingBytes",
	"OutgoingRecords", "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded",
}

// SetMetrics enables (on) or disables the given shard-level metrics and
// returns the sets before and after, sorted.
func (r *Registry) SetMetrics(s *Stream, metrics []string, on bool, now int64) (before, after []string, err error) {
	if err := r.requireActive(s, now); err != nil {
		return nil, nil, err
	}
	set := map[string]bool{}
	for _, m := range s.Metrics {
		set[m] = true
	}
	before = append([]string(nil), s.Metrics...)
	for _, m := range metrics {
		names := []string{m}
		if m == "ALL" {
			names = allMetrics
		}
		for _, n := range names {
			set[n] = on
		}
	}
	s.Metrics = s.Metrics[:0]
	for _, m := range allMetrics {
		if set[m] {
			s.Metrics = append(s.Metrics, m)
		}
	}
	return before, append([]string(nil), s.Metrics...), nil
}

// SetWarmThroughput sets the stream's target warm throughput.
func (r *Registry) SetWarmThroughput(s *Stream, mibps int, now int64) error {
	if err := r.requireActive(s, now); err != nil {
		return err
	}
	if s.Mode != ModeOnDemand {
		return apierr.Errorf(apierr.InvalidArgument,
			"Warm throughput can only be set on streams in ON_DEMAND mode. Stream %s under account %s is in %s mode.",
			s.Name, r.cfg.AccountID, s.Mode)
	}
	if r.doc.Account.Commitment != "ENABLED" {
		return apierr.New(apierr.InvalidArgument,
			"Warm throughput requires the account's MinimumThroughputBillingCommitment to be ENABLED.")
	}
	s.WarmThroughput = mibps
	r.startUpdate(s, now)
	return nil
}
