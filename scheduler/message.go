package scheduler

import (
	"fmt"
	"strconv"
	"time"

	"github.com/segmentbot/segmentbot"
)

// Advice is the sentence every warning ends with.
const Advice = "Upload large segments at least 24 hours before a broadcast so every member is reached."

// WarningMessage tells an admin that a large upload into seg came too close
// to broadcast b. Times are shown in loc (UTC when nil) with the zone named.
// reportURL is the signed link to the import report; the button is left out
// when it is empty.
func WarningMessage(b *segmentbot.Broadcast, seg *segmentbot.Segment, imp *segmentbot.Import, loc *time.Location, reportURL string) segmentbot.Message {
	if loc == nil {
		loc = time.UTC
	}
	segName := fmt.Sprintf("segment #%d", b.SegmentID)
	if seg != nil {
		segName = seg.Name
	}
	rows := segmentbot.Count(imp.Total)
	at := showTime(b.ScheduledAt, loc)

	var text, finished, gap string
	if imp.FinishedAt != nil && imp.Done() {
		hours := hoursBetween(*imp.FinishedAt, b.ScheduledAt)
		finished = showTime(*imp.FinishedAt, loc)
		gap = hours
		text = fmt.Sprintf("The upload of %s rows into %q finished %s before the broadcast %q on %s.",
			rows, segName, hours, b.Name, at)
	} else {
		started := imp.CreatedAt
		if imp.StartedAt != nil {
			started = *imp.StartedAt
		}
		hours := hoursBetween(started, b.ScheduledAt)
		finished = "still running"
		gap = "still running; started " + hours + " before"
		text = fmt.Sprintf("The upload of %s rows into %q is still running, and the broadcast %q is on %s.",
			rows, segName, b.Name, at)
	}

	msg := segmentbot.Message{
		Title: "Large upload close to a broadcast",
		Text:  text + "\n" + Advice,
		Facts: []segmentbot.Fact{
			{Name: "Segment", Value: segName},
			{Name: "Rows uploaded", Value: rows},
			{Name: "Upload finished", Value: finished},
			{Name: "Broadcast", Value: b.Name + " — " + at},
			{Name: "Hours between", Value: gap},
		},
	}
	if reportURL != "" {
		msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: "Open import report", URL: reportURL})
	}
	msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: "List broadcasts", Say: "broadcasts"})
	return msg
}

// showTime shows t in loc with the zone's abbreviation and name, e.g.
// "Tue 1 Dec 2026 09:00 CET (Europe/Berlin)", or "... 08:00 UTC".
func showTime(t time.Time, loc *time.Location) string {
	local := t.In(loc)
	shown := local.Format("Mon 2 Jan 2006 15:04 MST")
	if abbr, _ := local.Zone(); abbr == loc.String() {
		return shown
	}
	return shown + " (" + loc.String() + ")"
}

// hoursBetween says the gap from a to b in hours, with one decimal when it
// is not whole ("5 hours", "1.5 hours", "0 hours" when b is not after a).
func hoursBetween(a, b time.Time) string {
	d := b.Sub(a)
	if d < 0 {
		d = 0
	}
	tenths := int64(d / (6 * time.Minute))
	if tenths%10 == 0 {
		n := tenths / 10
		if n == 1 {
			return "1 hour"
		}
		return strconv.FormatInt(n, 10) + " hours"
	}
	return fmt.Sprintf("%d.%d hours", tenths/10, tenths%10)
}
