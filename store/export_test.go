package store

// OccupyHashSlots takes every password-hash slot, as a flood of logins
// computing hashes would, until release (for the socket tests of the
// external test package).
func OccupyHashSlots(s *Store) (release func()) {
	for range cap(s.hashSlots) {
		s.hashSlots <- struct{}{}
	}
	return func() {
		for range cap(s.hashSlots) {
			<-s.hashSlots
		}
	}
}
