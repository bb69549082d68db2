package bot

import (
	"strings"
	"unicode"
)

// normalize folds text for keyword matching: trimmed, lower case,
// punctuation and symbols dropped, runs of space folded to one. "opt-out"
// becomes "optout" and " STOP! " becomes "stop".
func normalize(s string) string {
	var sb strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsSpace(r):
			space = sb.Len() > 0
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
		default:
			if space {
				sb.WriteByte(' ')
				space = false
			}
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// cleanName trims a segment name as typed in chat: spaces folded, and
// quotes around it dropped.
func cleanName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for _, q := range [][2]string{{`"`, `"`}, {`'`, `'`}, {"“", "”"}, {"‘", "’"}, {"«", "»"}} {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			return strings.TrimSpace(s[len(q[0]) : len(s)-len(q[1])])
		}
	}
	return s
}

// command is a chat command split into its verb and the rest.
type command struct {
	verb string // lower case, e.g. "create segment"
	arg  string // the rest of the first line, cleaned
	body []string
}

// verbs lists the commands, longest first so "segments" does not swallow
// "segment".
var verbs = []string{
	"create segment", "rename segment", "change segment", "delete segment", "cancel broadcast",
	"add to", "remove from", "users", "card", "set reply", "imports", "import into",
	"schedule", "broadcast", "broadcasts", "segments", "my segments", "help",
	"set segment", "history", "audience", "attributes",
}

// parseCommand reads the first line of text as a command; body holds the
// remaining non-empty lines.
func parseCommand(text string) (command, bool) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	first := strings.Join(strings.Fields(lines[0]), " ")
	var body []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			body = append(body, l)
		}
	}
	lower := strings.ToLower(first)
	best := ""
	for _, v := range verbs {
		if (lower == v || strings.HasPrefix(lower, v+" ")) && len(v) > len(best) {
			best = v
		}
	}
	if best == "" {
		return command{}, false
	}
	return command{verb: best, arg: strings.TrimSpace(first[len(best):]), body: body}, true
}

// splitOn splits s at the first case-insensitive separator sep (" to ",
// " at ", " as ", ":").
func splitOn(s, sep string) (string, string, bool) {
	i := indexFold(s, sep)
	if i < 0 {
		return s, "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+len(sep):]), true
}

// indexFold is the index in s of the first sep (ASCII) in any case, or
// -1. Lower-casing s first would move indexes: some letters ("İ") change
// length in lower case.
func indexFold(s, sep string) int {
	for i := range s {
		if hasPrefixFold(s[i:], sep) {
			return i
		}
	}
	return -1
}

// hasPrefixFold reports whether s starts with the ASCII prefix, in any
// case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
