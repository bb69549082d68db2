package store

import "github.com/segmentbot/segmentbot"

// audienceFilter is the hook where a broadcast's Filter (DESIGN §8)
// narrows its audience: it returns a condition on the memberships row "m"
// (m.user_id is the recipient), with ? placeholders and their arguments,
// that FixAudience adds to its one INSERT ... SELECT, and that
// CreateBroadcast tries first so a filter that cannot be applied is
// refused when the broadcast is made. Until filters are turned into SQL,
// every filter is refused: a filter is never silently ignored.
var audienceFilter = func(f *segmentbot.Filter) (string, []any, error) {
	return "", nil, segmentbot.Errorf(segmentbot.EINVALID,
		"Audience filters are not supported by this version: send the broadcast to the whole segment, or leave the filter out.")
}
