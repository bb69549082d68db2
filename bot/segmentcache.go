package bot

import (
	"context"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// segmentTTL bounds how long a tap may show a segment's old name or reply
// after the REST API or another replica changed it. The bot's own changes
// take effect at once.
const segmentTTL = 10 * time.Second

// segmentCacheSize bounds the cache; it is emptied when full.
const segmentCacheSize = 10_000

// segmentCache is the store with a short-lived cache of the segments card
// taps name. A tap needs only the name, description, reply, visibility
// and whether it has a rule (its Filter), and FindSegmentByID counts the
// members, which on a segment of a million costs more than the whole tap.
// A segment deleted meanwhile is still noticed: Join and Leave answer ENOTFOUND for it. Changes made through
// the bot (UpdateSegment, DeleteSegment) drop the cached copy.
type segmentCache struct {
	segmentbot.Store
	now func() time.Time

	mu      sync.Mutex
	entries map[int64]cachedSegment
}

type cachedSegment struct {
	seg     segmentbot.Segment
	expires time.Time
}

// tapSegment returns segment id for a tap, from the cache when fresh. Its
// Members and LastImport are left empty: they would be stale.
func (c *segmentCache) tapSegment(ctx context.Context, id int64) (*segmentbot.Segment, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		seg := e.seg
		return &seg, nil
	}
	seg, err := c.Store.FindSegmentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	brief := segmentbot.Segment{ID: seg.ID, Name: seg.Name, Description: seg.Description, Reply: seg.Reply, CreatedAt: seg.CreatedAt,
		Visibility: seg.Visibility, Filter: seg.Filter}
	c.mu.Lock()
	if len(c.entries) >= segmentCacheSize {
		clear(c.entries)
	}
	c.entries[id] = cachedSegment{seg: brief, expires: now.Add(segmentTTL)}
	c.mu.Unlock()
	return &brief, nil
}

// forget drops segment id from the cache.
func (c *segmentCache) forget(id int64) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// UpdateSegment changes the segment and drops its cached copy.
func (c *segmentCache) UpdateSegment(ctx context.Context, id int64, upd segmentbot.SegmentUpdate) (*segmentbot.Segment, error) {
	defer c.forget(id)
	return c.Store.UpdateSegment(ctx, id, upd)
}

// DeleteSegment deletes the segment and drops its cached copy.
func (c *segmentCache) DeleteSegment(ctx context.Context, id int64, actorID int64) ([]*segmentbot.Broadcast, error) {
	defer c.forget(id)
	return c.Store.DeleteSegment(ctx, id, actorID)
}
