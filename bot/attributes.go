package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// filterUsage is how to write a filter, for the admin who got it wrong.
const filterUsage = "Write the filter as where _attribute_ is _value_, for example where department is Sales or Marketing and country is not US, where region exists, or where region is missing. Type attributes to see the names and values I know."

// audienceSample is how many names the audience command shows.
const audienceSample = 5

// What the attributes command shows at most: the commonest values of a
// name, the names, and the characters of a value. The card stays
// readable (and under the channels' size caps) with a hundred CSV
// columns of long values; GET /v1/attributes lists more.
const (
	attributeTop   = 5
	attributeNames = 40
	valueChars     = 40
)

// splitWhere splits "Sales where department is Sales" into the part
// before " where " and the filter's words. ok is false without a where;
// a where with nothing after it is ok with empty words, so the parser
// can say what it expected.
func splitWhere(arg string) (before, words string, ok bool) {
	if n := len(arg) - len(" where"); n >= 0 && hasPrefixFold(arg[n:], " where") {
		return strings.TrimSpace(arg[:n]), "", true
	}
	i := indexFold(arg, " where ")
	if i < 0 {
		return arg, "", false
	}
	return strings.TrimSpace(arg[:i]), strings.TrimSpace(arg[i+len(" where "):]), true
}

// parseWhere reads a filter's words as typed after where; the error is
// the parser's with the usage, in Markdown (a usageError).
func parseWhere(words string) (*segmentbot.Filter, error) {
	f, err := segmentbot.ParseFilter("where " + words)
	if err != nil {
		return nil, usagef("%s\n"+filterUsage, segmentbot.ErrorMessage(err))
	}
	return f, nil
}

// refuse answers a refusal: a usageError as the Markdown it is, any
// other error as friendly does.
func refuse(err error) (*segmentbot.Response, error) {
	var usage usageError
	if errors.As(err, &usage) {
		return say(segmentbot.Message{Text: segmentbot.ErrorMessage(err), Markdown: true})
	}
	return friendly(err)
}

// italic is a given text in italics, escaped.
func italic(s string) string { return "_" + segmentbot.EscapeMarkdown(s) + "_" }

// audience handles "audience <segment> [where ...]": how many a broadcast
// would reach now, and a few of them by name.
func (b *Bot) audience(ctx context.Context, arg string) (*segmentbot.Response, error) {
	name, words, hasWhere := splitWhere(arg)
	if cleanName(name) == "" {
		return say(markdown("Say it as audience _segment_, or audience _segment_ where _filter_: for example audience Sales where country is UK."))
	}
	var f *segmentbot.Filter
	if hasWhere {
		var err error
		if f, err = parseWhere(words); err != nil {
			return refuse(err)
		}
	}
	seg, err := b.store.FindSegmentByName(ctx, cleanName(name))
	if err != nil {
		return friendly(err)
	}
	aud, err := b.store.FindAudience(ctx, seg.ID, f, audienceSample)
	if err != nil {
		return friendly(err)
	}
	msg := segmentbot.Message{Title: "Audience: " + seg.Name, Markdown: true, Facts: []segmentbot.Fact{{Name: "Segment", Value: fmt.Sprintf("%s (%s)", seg.Name, segmentbot.Counted(seg.Members, "member"))}}}
	if f != nil {
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Filter", Value: f.Words()})
	}
	msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Reaches", Value: people(aud.Count) + " " + reachNote(f)})
	var lines []string
	if len(aud.Sample) > 0 {
		lines = append(lines, segmentbot.EscapeMarkdown("For example "+sampleNames(aud.Sample, aud.Count)+"."))
	}
	notes, err := b.unknownNames(ctx, f)
	if err != nil {
		return nil, err
	}
	lines = append(lines, notes...)
	where := ""
	if f != nil {
		where = " where " + f.Words()
	}
	if aud.Count > 0 {
		lines = append(lines, segmentbot.EscapeMarkdown(fmt.Sprintf("To send them a message, write it under a first line reading broadcast %s%s", seg.Name, where)))
	}
	msg.Text = strings.Join(lines, "\n")
	return say(msg)
}

// reachNote says who an audience count counts.
func reachNote(f *segmentbot.Filter) string {
	if f == nil {
		return "(members who have not opted out)"
	}
	return "(members who have not opted out and match the filter)"
}

// sampleNames lists a sample's names, "and N more" when the audience is
// larger: "Anna, Bob and 10 more".
func sampleNames(sample []*segmentbot.User, count int64) string {
	names := make([]string, 0, len(sample))
	for _, u := range sample {
		n := u.Name
		if n == "" {
			n = u.Email
		}
		names = append(names, n)
	}
	if more := count - int64(len(names)); more > 0 {
		return strings.Join(names, ", ") + " and " + segmentbot.Count(more) + " more"
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// listAttributes handles "attributes": each name with its user count and
// commonest values.
func (b *Bot) listAttributes(ctx context.Context) (*segmentbot.Response, error) {
	counts, err := b.store.CountAttributes(ctx, attributeTop)
	if err != nil {
		return nil, fmt.Errorf("count attributes: %w", err)
	}
	if len(counts) == 0 {
		return say(text("No user has attributes yet. They come from the directory (department, country and the like) and from the extra columns of a CSV file you import."))
	}
	msg := segmentbot.Message{
		Title:    "Attributes",
		Markdown: true,
		Text:     "Use them to narrow an audience: audience _segment_ where department is Sales, broadcast _segment_ where ..., or create segment _name_ where ... for a segment that keeps itself up to date.",
	}
	for i, c := range counts {
		if i == attributeNames {
			msg.Text += fmt.Sprintf("\nThese are the first %d names of %d; GET /v1/attributes lists them all.", attributeNames, len(counts))
			break
		}
		values := make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			values = append(values, fmt.Sprintf("%s (%s)", shorten(v.Value, valueChars), segmentbot.Count(v.Users)))
		}
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: shorten(c.Name, valueChars),
			Value: segmentbot.Counted(c.Users, "user") + ": " + strings.Join(values, ", ")})
	}
	return say(msg)
}

// shorten cuts s to n characters, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// unknownNames says, in Markdown, which of the filter's names no user
// has, each with the closest names users do have: the filter is kept (the name may come
// with the next sync or import), but a typo should not go unnoticed.
func (b *Bot) unknownNames(ctx context.Context, f *segmentbot.Filter) ([]string, error) {
	if f == nil {
		return nil, nil
	}
	known, err := b.knownAttributeNames(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, name := range known {
		have[name] = true
	}
	var notes []string
	for _, c := range f.All {
		if have[c.Attribute] {
			continue
		}
		have[c.Attribute] = true // say it once
		note := fmt.Sprintf("No user has %s yet, so this condition %s.", italic(c.Attribute), unknownEffect(c.Op))
		if close := closestNames(c.Attribute, known); len(close) > 0 {
			for i := range close {
				close[i] = italic(close[i])
			}
			note += " Did you mean " + orList(close) + "?"
		}
		notes = append(notes, note)
	}
	return notes, nil
}

// namesTTL is how long the bot keeps the attribute names users have:
// listing them groups every attribute row (about a second at a million
// users), names come and go only with syncs and imports, and a name one
// minute late only delays a hint.
const namesTTL = time.Minute

// knownNames is the attribute names users had at a time.
type knownNames struct {
	mu      sync.Mutex
	names   []string
	expires time.Time
}

// knownAttributeNames lists the attribute names users have, at most
// namesTTL old.
func (b *Bot) knownAttributeNames(ctx context.Context) ([]string, error) {
	k := &b.attrNames
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names != nil && b.now().Before(k.expires) {
		return k.names, nil
	}
	counts, err := b.store.CountAttributes(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("count attributes: %w", err)
	}
	names := make([]string, 0, len(counts))
	for _, c := range counts {
		names = append(names, c.Name)
	}
	k.names, k.expires = names, b.now().Add(namesTTL)
	return names, nil
}

// unknownEffect says what a condition on a name no user has does.
func unknownEffect(op string) string {
	if op == segmentbot.OpIn || op == segmentbot.OpExists {
		return "matches nobody"
	}
	return "matches everybody"
}

// orList joins "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// closestNames are up to three known names within a small edit distance
// of name (a third of its length, at least 1, at most 3), closest first.
func closestNames(name string, known []string) []string {
	limit := min(max(len([]rune(name))/3, 1), 3)
	type scored struct {
		name string
		d    int
	}
	var close []scored
	for _, k := range known {
		if d := editDistance(name, k); d <= limit {
			close = append(close, scored{k, d})
		}
	}
	sort.SliceStable(close, func(i, j int) bool {
		if close[i].d != close[j].d {
			return close[i].d < close[j].d
		}
		return close[i].name < close[j].name
	})
	var out []string
	for i := 0; i < len(close) && i < 3; i++ {
		out = append(out, close[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, by rune.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
