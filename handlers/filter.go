package handlers

import (
	"github.com/segmentbot/segmentbot"
)

// checkFilter refuses a filter the store could not apply, with
// segmentbot.Filter.Validate's reason under the field's name: the one
// check of a filter, for broadcasts, segments and audiences alike.
func checkFilter(field string, f *segmentbot.Filter) error {
	if err := f.Validate(); err != nil {
		return segmentbot.Errorf(segmentbot.EINVALID, "Field %q: %s", field, segmentbot.ErrorMessage(err))
	}
	return nil
}
