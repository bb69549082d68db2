package bot

import (
	"strings"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// senderCache remembers the senders this process stored recently, so a user
// who taps ten buttons a minute costs one directory write, not ten. An
// entry is used only while everything the activity says about the user is
// unchanged, and for at most ttl, which bounds how stale last_seen gets.
// It keeps the stored entry, which may know more than the activity.
type senderCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]senderEntry
}

type senderEntry struct {
	user        segmentbot.User
	fingerprint string
	stored      time.Time
}

func newSenderCache(ttl time.Duration, max int) *senderCache {
	return &senderCache{ttl: ttl, max: max, entries: map[string]senderEntry{}}
}

// fingerprint is everything UpsertUser would write for u, but last_seen.
func fingerprint(u *segmentbot.User) string {
	flags := "-"
	if u.InBotGroups {
		flags = "g"
	}
	return strings.Join([]string{u.TenantID, u.AADObjectID, u.Email, u.UPN, u.Name, u.ConvRef, u.TimeZone, flags}, "\x00")
}

// fill sets u to its stored entry and reports true when u was stored with
// the same details less than ttl ago.
func (c *senderCache) fill(u *segmentbot.User, now time.Time) bool {
	key := u.Channel + "\x00" + u.ExternalID
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.fingerprint != fingerprint(u) || now.Sub(e.stored) >= c.ttl {
		return false
	}
	*u = e.user
	return true
}

// remember records that u was just stored as stored.
func (c *senderCache) remember(u, stored *segmentbot.User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries) // crude, but bounded; the next taps refill it
	}
	c.entries[u.Channel+"\x00"+u.ExternalID] = senderEntry{user: *stored, fingerprint: fingerprint(u), stored: now}
}
