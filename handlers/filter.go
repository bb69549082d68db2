package handlers

import (
	"strings"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

// Limits of a filter given through the API.
const (
	maxConditions     = 20
	maxFilterValues   = 100
	maxAttributeChars = 100
)

// checkFilter refuses a filter the broadcaster could not apply, naming the
// condition that is wrong (DESIGN §8).
func checkFilter(f *segmentbot.Filter) error {
	if len(f.All) == 0 {
		return segmentbot.Errorf(segmentbot.EINVALID, "Field \"filter.all\" needs at least one condition; leave \"filter\" out to reach every member.")
	}
	if len(f.All) > maxConditions {
		return segmentbot.Errorf(segmentbot.EINVALID, "Field \"filter.all\" has %d conditions; keep it to %d.", len(f.All), maxConditions)
	}
	for i := range f.All {
		cond := &f.All[i]
		cond.Attribute = strings.ToLower(strings.TrimSpace(cond.Attribute))
		switch n := utf8.RuneCountInString(cond.Attribute); {
		case n == 0:
			return segmentbot.Errorf(segmentbot.EINVALID, "Condition %d of \"filter.all\" names no \"attribute\".", i+1)
		case n > maxAttributeChars:
			return segmentbot.Errorf(segmentbot.EINVALID, "Condition %d of \"filter.all\": the attribute name is %d characters long; keep it to %d.", i+1, n, maxAttributeChars)
		}
		switch cond.Op {
		case segmentbot.OpIn, segmentbot.OpNotIn:
			if len(cond.Values) == 0 {
				return segmentbot.Errorf(segmentbot.EINVALID, "Condition %d of \"filter.all\" (%s %s) needs \"values\".", i+1, cond.Attribute, cond.Op)
			}
			if len(cond.Values) > maxFilterValues {
				return segmentbot.Errorf(segmentbot.EINVALID, "Condition %d of \"filter.all\" has %d values; keep it to %d.", i+1, len(cond.Values), maxFilterValues)
			}
		case segmentbot.OpExists, segmentbot.OpMissing:
			if len(cond.Values) > 0 {
				return segmentbot.Errorf(segmentbot.EINVALID, "Condition %d of \"filter.all\" (%s %s) takes no \"values\".", i+1, cond.Attribute, cond.Op)
			}
		default:
			return segmentbot.Errorf(segmentbot.EINVALID, "Condition %d of \"filter.all\" has \"op\" %q; use in, not_in, exists or missing.", i+1, cond.Op)
		}
	}
	return nil
}
