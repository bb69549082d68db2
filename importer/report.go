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
// counts, then the main reasons rows failed (facts, one line each), and
// links to the full report and to the segment's members. A failed import's
// report says why; one that added nobody from a file that had rows says so
// in its title. One whose other columns changed users' attributes says
// for how many people. links may be nil (no buttons); so may seg.
func ReportMessage(imp *segmentbot.Import, seg *segmentbot.Segment, links Links) segmentbot.Message {
	msg := segmentbot.Message{
		Title: fmt.Sprintf("Import into %s: %s", segmentName(seg), segmentbot.StatusText(imp.Status)),
	}
	if imp.Status == segmentbot.ImportFailed {
		msg.Text = "The import failed: " + imp.Error
	} else {
		if nothingAdded(imp) {
			msg.Title = fmt.Sprintf("Import into %s: nothing was added — is this the right file?", segmentName(seg))
		}
		msg.Facts = []segmentbot.Fact{
			{Name: "Total rows", Value: segmentbot.Count(imp.Total)},
			{Name: "Added", Value: segmentbot.Count(imp.Added)},
			{Name: "Already members", Value: segmentbot.Count(imp.AlreadyMember)},
			{Name: "Skipped (opted out)", Value: segmentbot.Count(imp.SkippedOptOut)},
			{Name: "Duplicates", Value: segmentbot.Count(imp.Duplicates)},
			{Name: "Failed", Value: segmentbot.Count(imp.Failed)},
		}
		msg.Facts = append(msg.Facts, reasonFacts(imp.FailedByReason)...)
		if imp.AttributesUpdated > 0 {
			msg.Text = "Attributes updated for " + segmentbot.Counted(imp.AttributesUpdated, "person", "people") + "."
		}
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

// nothingAdded reports whether a finished import of some rows added and
// found nobody: every row failed or was skipped, which usually means the
// wrong file (a column of names, the wrong sheet), not a list of people
// who all opted out.
func nothingAdded(imp *segmentbot.Import) bool {
	return imp.Total > 0 && imp.Added == 0 && imp.AlreadyMember == 0
}

// reasonFacts lists the commonest failure reasons, most frequent first,
// each a fact of its own, so they read as one list right under "Failed"
// (text lines would come before the counts and apart from each other).
func reasonFacts(byReason map[string]int64) []segmentbot.Fact {
	var reasons []string
	for r, n := range byReason {
		if n > 0 {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	slices.SortFunc(reasons, func(a, b string) int {
		if c := cmp.Compare(byReason[b], byReason[a]); c != 0 {
			return c
		}
		return cmp.Compare(reasonOrder(a), reasonOrder(b))
	})
	var facts []segmentbot.Fact
	for _, r := range reasons[:min(len(reasons), maxReasons)] {
		facts = append(facts, segmentbot.Fact{Name: "• " + segmentbot.ReasonText(r), Value: segmentbot.Count(byReason[r])})
	}
	if more := len(reasons) - maxReasons; more > 0 {
		facts = append(facts, segmentbot.Fact{Name: "• and " + segmentbot.Counted(int64(more), "more reason"), Value: "see the report"})
	}
	return facts
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
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Rows read", Value: segmentbot.Count(st.done)})
	case segmentbot.PhaseResolved:
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Looked up", Value: segmentbot.Count(st.done) + " / " + segmentbot.Count(st.total)})
	default:
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Rows", Value: segmentbot.Count(st.total)})
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
