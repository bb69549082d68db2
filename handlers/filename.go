package handlers

import (
	"strings"
	"unicode"
)

// fileName makes a download name like "segment-sales-team-members.csv"
// from free text: letters and digits kept, runs of anything else made one
// dash, at most 60 characters before the suffix.
func fileName(base, suffix string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(base) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		return suffix + ".csv"
	}
	return name + "-" + suffix + ".csv"
}
