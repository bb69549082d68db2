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
	mdEscape   = regexp.MustCompile(`\\([\\*_~\[\]()#` + "`" + `])`)
)

// plainMarkdown renders Markdown as the plain text a reader would see:
// [text](url) becomes "text (url)", and the marks of emphasis, inline code
// and headings go. Lists, line breaks and anything it does not know stay.
func plainMarkdown(s string) string {
	if !strings.ContainsAny(s, "*_~[`#\\") {
		return s
	}
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
	return mdEscape.ReplaceAllString(s, "$1")
}
