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
	b.changedBy(segmentbot.SourceRule, segmentbot.ActionJoin, seg.Members) // the store filled it
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

// changeRuleSegment handles "change segment <name> where ...": the rule
// segment takes the new rule, and its members follow it at once (joins
// and leaves logged with source rule, opted-out users kept out). Its
// opt-outs and history stay, which deleting and making it again would
// lose.
func (b *Bot) changeRuleSegment(ctx context.Context, arg string) (*segmentbot.Response, error) {
	name, words, ok := splitWhere(arg)
	if !ok || cleanName(name) == "" {
		return say(markdown("Say it as change segment _name_ where _filter_, for example change segment UK Sales where country is UK and department is Sales."))
	}
	f, err := parseWhere(words)
	if err != nil {
		return refuse(err)
	}
	seg, err := b.store.FindSegmentByName(ctx, cleanName(name))
	if err != nil {
		return friendly(err)
	}
	seg, err = b.store.UpdateSegment(ctx, seg.ID, segmentbot.SegmentUpdate{Filter: f})
	if err != nil {
		return friendly(err)
	}
	var change segmentbot.RuleChange
	if seg.RuleChange != nil {
		change = *seg.RuleChange
	}
	b.changedBy(segmentbot.SourceRule, segmentbot.ActionJoin, change.Joined)
	b.changedBy(segmentbot.SourceRule, segmentbot.ActionLeave, change.Left)
	notes, err := b.unknownNames(ctx, seg.Filter)
	if err != nil {
		return nil, err
	}
	lines := append([]string{
		segmentbot.EscapeMarkdown(fmt.Sprintf("Its rule now: %s. %s joined and %s left, so it has %s. Anyone who opted out stays out.",
			seg.Filter.Words(), segmentbot.Counted(change.Joined, "person", "people"), segmentbot.Count(change.Left),
			segmentbot.Counted(seg.Members, "member"))),
	}, notes...)
	return say(segmentbot.Message{
		Title:    "Rule changed: " + seg.Name,
		Text:     strings.Join(lines, "\n"),
		Markdown: true,
		Facts: []segmentbot.Fact{{Name: "Rule", Value: seg.Filter.Words()}, {Name: "Joined", Value: segmentbot.Count(change.Joined)},
			{Name: "Left", Value: segmentbot.Count(change.Left)}, {Name: "Members", Value: segmentbot.Count(seg.Members)}},
		Buttons: []segmentbot.Button{
			{Title: "Audience", Say: "audience " + seg.Name},
			{Title: "All segments", Say: "segments"},
		},
	})
}
