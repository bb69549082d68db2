package cards

import (
	"regexp"
	"strings"
)

// Markdown that Messenger would show as typed: links, emphasis, inline
// code and headings.
var (
	mdLink     = regexp.MustCompile(`\[([^\]\n]+)\]\(([^)\s]+)\)`)
	mdStrong   = regexp.MustCompile(`(\*\*|__|~~)(\S(?:[^\n]*?\S)?)(\*\*|__|~~)`)
	mdEmphasis = regexp.MustCompile(`(^|[\s(])\*(\S(?:[^*\n]*?\S)?)\*`)
	mdCode     = regexp.MustCompile("`([^`\n]+)`")
	mdHeading  = regexp.MustCompile(`(?m)^#{1,6}[ \t]+`)
	// A backslash before any ASCII punctuation escapes it (CommonMark), as
	// segmentbot.EscapeMarkdown writes the names a Markdown text embeds.
	mdEscape = regexp.MustCompile(`\\([!-/:-@\[-` + "`" + `{-~])`)
)

// UnescapeMarkdown drops Markdown's backslash escapes and keeps every
// mark: the text as a chat shows it, its emphasis aside.
func UnescapeMarkdown(s string) string { return mdEscape.ReplaceAllString(s, "$1") }

// plainMarkdown renders Markdown as the plain text a reader would see:
// [text](url) becomes "text (url)", and the marks of emphasis, inline code
// and headings go. Lists, line breaks and anything it does not know stay.
func plainMarkdown(s string) string {
	if !strings.ContainsAny(s, "*_~[`#\\") {
		return s
	}
	// Escaped characters are set aside first, so that no mark below
	// matches them, and come back bare at the end.
	s = mdEscape.ReplaceAllStringFunc(s, func(m string) string { return string(rune(escaped + rune(m[1]))) })
	s = mdCode.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		p := mdLink.FindStringSubmatch(m)
		if p[1] == p[2] {
			return p[2]
		}
		return p[1] + " (" + p[2] + ")"
	})
	s = mdStrong.ReplaceAllStringFunc(s, func(m string) string {
		p := mdStrong.FindStringSubmatch(m)
		if p[1] != p[3] {
			return m
		}
		return p[2]
	})
	s = mdEmphasis.ReplaceAllString(s, "$1$2")
	s = mdHeading.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		if r > escaped && r <= escaped+'~' {
			return r - escaped
		}
		return r
	}, s)
}

// escaped is where plainMarkdown keeps an escaped ASCII character while it
// strips the marks: escaped+c, in a private use area.
const escaped = 0xE000
