package importer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// maxReasons is how many failure reasons a report lists.
const maxReasons = 3

// ReportMessage is the chat report of a finished import: its status, the
// counts, the main reasons rows failed, and links to the full report and
// to the segment's members. A failed import's report says why. links may
// be nil (no buttons); so may seg.
func ReportMessage(imp *segmentbot.Import, seg *segmentbot.Segment, links Links) segmentbot.Message {
	msg := segmentbot.Message{
		Title: fmt.Sprintf("Import into %s: %s", segmentName(seg), segmentbot.StatusText(imp.Status)),
	}
	if imp.Status == segmentbot.ImportFailed {
		msg.Text = "The import failed: " + imp.Error
	} else {
		msg.Facts = []segmentbot.Fact{
			{Name: "Total rows", Value: count(imp.Total)},
			{Name: "Added", Value: count(imp.Added)},
			{Name: "Already members", Value: count(imp.AlreadyMember)},
			{Name: "Skipped (opted out)", Value: count(imp.SkippedOptOut)},
			{Name: "Duplicates", Value: count(imp.Duplicates)},
			{Name: "Failed", Value: count(imp.Failed)},
		}
		msg.Text = reasonsText(imp.FailedByReason)
	}
	if imp.FileName != "" {
		msg.Text = strings.TrimSpace("File: " + imp.FileName + "\n" + msg.Text)
	}
	if links != nil && imp.Total > 0 {
		msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: "Download report", URL: links.ReportURL(imp.ID)})
	}
	if links != nil && seg != nil {
		msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: "Download list of users", URL: links.MembersURL(seg.ID)})
	}
	return msg
}

// reasonsText lists the commonest failure reasons, most frequent first.
func reasonsText(byReason map[string]int64) string {
	var reasons []string
	for r, n := range byReason {
		if n > 0 {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	slices.SortFunc(reasons, func(a, b string) int {
		if c := cmp.Compare(byReason[b], byReason[a]); c != 0 {
			return c
		}
		return cmp.Compare(reasonOrder(a), reasonOrder(b))
	})
	var b strings.Builder
	b.WriteString("Why rows failed:")
	for _, r := range reasons[:min(len(reasons), maxReasons)] {
		fmt.Fprintf(&b, "\n• %s: %s", segmentbot.ReasonText(r), count(byReason[r]))
	}
	if more := len(reasons) - maxReasons; more > 0 {
		fmt.Fprintf(&b, "\n• and %d more reasons; see the report", more)
	}
	return b.String()
}

func reasonOrder(reason string) int {
	if i := slices.Index(segmentbot.Reasons, reason); i >= 0 {
		return i
	}
	return len(segmentbot.Reasons)
}

// progressMessage is the card shown while an import runs.
func progressMessage(imp *segmentbot.Import, seg *segmentbot.Segment, st progressState) segmentbot.Message {
	msg := segmentbot.Message{
		Title: fmt.Sprintf("Importing into %s", segmentName(seg)),
		Text:  phaseText(st.phase),
	}
	if imp.FileName != "" {
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "File", Value: imp.FileName})
	}
	switch st.phase {
	case segmentbot.PhaseQueued:
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Rows read", Value: count(st.done)})
	case segmentbot.PhaseResolved:
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Looked up", Value: count(st.done) + " / " + count(st.total)})
	default:
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Rows", Value: count(st.total)})
	}
	msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Progress", Value: fmt.Sprintf("%d %%", percent(st))})
	return msg
}

// phaseText says what the import is doing in the phase it is in.
func phaseText(phase string) string {
	switch phase {
	case segmentbot.PhaseQueued:
		return "Reading the file…"
	case segmentbot.PhaseStaged:
		return "Matching the rows with known users…"
	case segmentbot.PhaseResolved:
		return "Looking up users the bot has not met yet…"
	}
	return "Adding the users to the segment…"
}

// percent estimates how far the whole import is: reading is quick, the
// live lookup is the long part.
func percent(st progressState) int {
	switch st.phase {
	case segmentbot.PhaseQueued:
		return 0
	case segmentbot.PhaseStaged:
		return 40
	case segmentbot.PhaseResolved:
		if st.total == 0 {
			return 40
		}
		return 40 + int(50*st.done/st.total)
	}
	return 90
}

func segmentName(seg *segmentbot.Segment) string {
	if seg == nil {
		return "the segment"
	}
	return seg.Name
}

// count writes n with thousands separators, as people read counts.
func count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
