package broadcaster

import (
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
)

func TestARowClaimedAgainKeepsItsOnePlace(t *testing.T) {
	// A replica whose lease on u1 ran out while u1 waited for a retry
	// claims u1 again: it is held with the new lease but not queued a
	// second time, so it is sent once.
	h := heldRows{until: map[int64]time.Time{}}
	rows := func(ids ...int64) []*segmentbot.Recipient {
		var rs []*segmentbot.Recipient
		for _, id := range ids {
			rs = append(rs, &segmentbot.Recipient{User: &segmentbot.User{ID: id}})
		}
		return rs
	}
	now := time.Now()
	if got := h.add(rows(1, 2), now.Add(time.Second)); len(got) != 2 {
		t.Fatalf("first claim queued %d rows, want 2", len(got))
	}
	got := h.add(rows(1, 3), now.Add(time.Minute))
	if len(got) != 1 || got[0].User.ID != 3 {
		t.Fatalf("second claim queued %v, want only u3", got)
	}
	if !h.sendable(1, now, 30*time.Second) {
		t.Error("u1's new lease is not known")
	}
	if h.sendable(2, now, 30*time.Second) {
		t.Error("u2, with a second of lease left, counts as sendable")
	}
	if h.sendable(2, now, 0) {
		t.Error("a row refused once is still held")
	}
}
