package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// createRuleSegment handles "create segment <name> where ...": a segment
// whose members are the users matching the filter, filled at once and
// kept in line with the directory by the sync (SyncRuleSegments).
func (b *Bot) createRuleSegment(ctx context.Context, name, words string) (*segmentbot.Response, error) {
	if name == "" {
		return say(text("Name the segment before where: create segment UK Sales where country is UK and department is Sales."))
	}
	f, err := parseWhere(words)
	if err != nil {
		return refuse(err)
	}
	seg := &segmentbot.Segment{Name: name, Filter: f}
	if err := b.store.CreateSegment(ctx, seg); err != nil {
		return friendly(err)
	}
	b.changedBy(segmentbot.SourceRule, seg.Members) // the store filled it
	notes, err := b.unknownNames(ctx, f)
	if err != nil {
		return nil, err
	}
	lines := append([]string{
		segmentbot.EscapeMarkdown(fmt.Sprintf("Its rule: %s. It has %s now: the users who match and have not opted out.", f.Words(), segmentbot.Counted(seg.Members, "member"))),
		"It keeps itself up to date: whenever the directory sync or an import changes people's attributes, those who come to match join and those who no longer match leave. Anyone who opted out stays out.",
	}, notes...)
	return say(segmentbot.Message{
		Title:    "Segment created: " + seg.Name,
		Text:     strings.Join(lines, "\n"),
		Markdown: true,
		Facts:    []segmentbot.Fact{{Name: "Rule", Value: f.Words()}, {Name: "Members", Value: segmentbot.Count(seg.Members)}},
		Buttons: []segmentbot.Button{
			{Title: "Opt-in card", Say: "card " + seg.Name},
			{Title: "All segments", Say: "segments"},
		},
	})
}
