package segmentbot

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of the texts people give and others see, in characters.
const (
	MaxDescription = 1000 // a segment's description
	MaxReply       = 500  // a segment's reply after opt-in
)

// CleanText checks one piece of text that a chat user or an API client
// gives and other people will see (a description, a reply after opt-in,
// a broadcast's title) and returns it NFC-normalised and trimmed.
// field names it in the error.
//
// It refuses (EINVALID) text longer than max characters (max <= 0: no
// cap), text that is not UTF-8, and every character that hides or
// disguises what is shown: control characters (NUL, line feed, escape,
// ...), line and paragraph separators, and invisible format characters
// (bidirectional controls such as U+202E, zero-width spaces and joiners,
// U+FEFF). Empty text is allowed; ValidateName requires some.
//
// REST handlers and chat commands call it alike, so both accept and
// refuse the same text with the same reason.
func CleanText(field, s string, max int) (string, error) {
	return clean(field, s, max, "")
}

// CleanLines is CleanText for text of several lines (a broadcast's
// Markdown): line feeds and tabs stay, as lines and indentation, and
// "\r\n" becomes "\n"; every other control or invisible character is
// refused as CleanText refuses it.
func CleanLines(field, s string, max int) (string, error) {
	return clean(field, strings.ReplaceAll(s, "\r\n", "\n"), max, "\n\t")
}

// clean is CleanText letting the characters of keep through.
func clean(field, s string, max int, keep string) (string, error) {
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, "The %s is not valid UTF-8.", field)
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	for i, r := range []rune(s) {
		if hidden(r) && !strings.ContainsRune(keep, r) {
			return "", Errorf(EINVALID, "The %s contains an invisible or control character (%U) at position %d; remove it.", field, r, i+1)
		}
	}
	if n := utf8.RuneCountInString(s); max > 0 && n > max {
		return "", Errorf(EINVALID, "The %s can have at most %d characters; this one has %d.", field, max, n)
	}
	return s, nil
}

// hidden reports whether r is a control, separator or format character.
func hidden(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

// ValidateName is CleanText for a segment's name: it is required, runs
// of spaces inside become one, it has at most MaxSegmentName characters,
// and it holds no web address, since names are shown on cards that every
// end user sees. ValidateBroadcastName is the same for a broadcast's.
func ValidateName(field, s string) (string, error) {
	return validateName(field, s, MaxSegmentName)
}

// validateName is ValidateName with max characters at most.
func validateName(field, s string, max int) (string, error) {
	s, err := CleanText(field, s, 0)
	if err != nil {
		return "", err
	}
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	if s == "" {
		return "", Errorf(EINVALID, "The %s is required.", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", Errorf(EINVALID, "The %s can have at most %d characters; this one has %d.", field, max, n)
	}
	if lower := strings.ToLower(s); strings.Contains(lower, "://") || strings.Contains(lower, "www.") {
		return "", Errorf(EINVALID, "The %s can't contain a web address.", field)
	}
	return s, nil
}

// CSVCell makes a value safe in a downloaded CSV file: a cell that a
// spreadsheet could read as a formula (OWASP "CSV injection") gets a
// leading apostrophe. That is a cell starting with = + - @ or |, their
// full-width forms (＝ ＋ － ＠ ｜), or any white space (space, tab, line
// feed, carriage return, no-break space), which spreadsheets skip before
// looking for a formula. Every CSV export writes its cells through it.
func CSVCell(v string) string {
	r, _ := utf8.DecodeRuneInString(v)
	switch {
	case v == "":
		return v
	case strings.ContainsRune("=+-@|＝＋－＠｜", r), unicode.IsSpace(r), r == '\u00a0', r == '\u200b', r == '\ufeff':
		return "'" + v
	}
	return v
}

// EscapeMarkdown escapes the characters that would make Markdown of s: a
// name or any other given text put into Markdown shows as typed, never as
// a link, emphasis, code or a heading. cards uses it for every plain-text
// Message; a Markdown message (Message.Markdown) must escape the plain
// parts it embeds itself.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	lineStart := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if lineStart && r >= '0' && r <= '9' {
			// "1. item" and "1) item" start an ordered list.
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString(s[i:j])
			if j < len(s) && (s[j] == '.' || s[j] == ')') {
				b.WriteByte('\\')
			}
			i, lineStart = j, false
			continue
		}
		if strings.ContainsRune("\\`*_[]~|<>", r) || (lineStart && strings.ContainsRune("#-+=", r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		lineStart = r == '\n' || (lineStart && r == ' ')
		i += size
	}
	return b.String()
}

// ContainsNUL reports whether the JSON text body holds a NUL character:
// a \u0000 escape in a string, or a raw zero byte. PostgreSQL cannot
// store NUL in text, so the edges refuse or drop such input before
// anything is stored.
func ContainsNUL(body []byte) bool {
	if bytes.IndexByte(body, 0) >= 0 {
		return true
	}
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte("u0000"))
		if j < 0 {
			return false
		}
		u := i + j
		slashes := 0
		for p := u - 1; p >= 0 && body[p] == '\\'; p-- {
			slashes++
		}
		if slashes%2 == 1 { // an escape, not an escaped backslash before "u0000"
			return true
		}
		i = u + 1
	}
}
