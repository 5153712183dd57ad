package stream

// DropExpiredShards removes the closed shards of s whose records have all
// passed the retention period at now, and returns their indexes so that the
// caller can delete their logs. Children keep naming them as parents, as
// AWS's do.
func (r *Registry) DropExpiredShards(s *Stream, now int64) []uint32 {
	var dropped []uint32
	kept := s.Shards[:0]
	for _, sh := range s.Shards {
		if s.ShardExpired(sh, now) {
			dropped = append(dropped, sh.Index)
			continue
		}
		kept = append(kept, sh)
	}
	for i := len(kept); i < len(s.Shards); i++ {
		s.Shards[i] = nil
	}
	s.Shards = kept
	return dropped
}
