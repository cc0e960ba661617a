package obs

import "time"

// ResetColdStart makes the next StartInvocation cold again (tests only).
func ResetColdStart() { environmentUsed.Store(false) }

// SetClock fixes the clock of m (tests only).
func SetClock(m *Metrics, t time.Time) { m.now = func() time.Time { return t } }
