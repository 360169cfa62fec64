package openwire

import (
	"fmt"
	"time"
)

// monitor is the inactivity monitor of a link: like Java's InactivityMonitor it
// writes a KeepAliveInfo when this side has been quiet for a third of the
// negotiated duration, and drops the link when the broker has sent nothing for
// the whole duration (the broker sends KeepAliveInfo every third of it).
func (l *link) monitor() {
	defer l.wg.Done()
	d := l.inactivity
	if d <= 0 {
		return
	}
	// A read is seen at the first tick after it, so silence is noticed up to one
	// tick late: checking thirty times per duration keeps a half-open link's
	// detection within d + d/30 (31 s with the 30 s default).
	tick := time.NewTicker(max(d/30, 10*time.Millisecond))
	defer tick.Stop()
	lastReads, lastWrites := l.reads.Load(), l.writes.Load()
	lastRead, lastWrite := time.Now(), time.Now()
	for {
		select {
		case <-l.done:
			return
		case now := <-tick.C:
			if r := l.reads.Load(); r != lastReads {
				lastReads, lastRead = r, now
			} else if now.Sub(lastRead) >= d {
				err := fmt.Errorf("openwire: %s sent nothing for %v: %w", l.ep, now.Sub(lastRead).Round(time.Millisecond), ErrInactive)
				l.c.log.Warn("openwire: broker inactive, dropping connection", "endpoint", l.ep.String(), "after", d)
				l.close(err)
				return
			}
			if w := l.writes.Load(); w != lastWrites {
				lastWrites, lastWrite = w, now
			} else if now.Sub(lastWrite) >= d/3 && l.wmu.TryLock() {
				// Quiet for a third of the duration and no write under way (a write
				// in progress is activity, and its deadline bounds it): keep alive.
				l.wmu.Unlock()
				_ = l.write(func(e *encoder) { e.keepAlive(l.cmdID.Add(1)) })
				lastWrites, lastWrite = l.writes.Load(), now
			}
		}
	}
}
