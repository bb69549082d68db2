package importer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/segmentbot/segmentbot"
)

// Notes say why a value is invalid, in the words of the report.
const (
	noteEmpty       = "empty value"
	noteLongID      = "too long for an id"
	noteManyAt      = "more than one @"
	noteSpace       = "space in address"
	noteNoLocal     = "nothing before the @"
	noteNoDomain    = "no domain"
	noteDomainDot   = "the domain has no dot"
	noteBadDomain   = "the domain is not valid"
	noteBadLocal    = "character not allowed before the @"
	noteDots        = "misplaced dot"
	noteTooLong     = "address too long"
	noteBadEncoding = "unreadable characters"
)

// domainProfile converts an internationalised domain to its ASCII form the
// way a mail client would look it up, rejecting names DNS cannot hold.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
	idna.BidiRule(),
)

// maxExternalID is the longest value taken for an external id; Azure AD
// holds employee ids of up to 16 characters, other systems a few more.
const maxExternalID = 64

// Normalize trims value and classifies it: an email address (lower case,
// ASCII domain), an AAD object id (lower-case GUID), a numeric platform id,
// any other value without an @ an external id (an HR number, looked up as
// the directory's employeeId; never a "typo in the address"), or invalid
// with a note saying what is wrong.
func Normalize(value string) (norm, kind, note string) {
	v := trim(value)
	switch {
	case v == "":
		return "", segmentbot.KindInvalid, noteEmpty
	case !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError):
		return "", segmentbot.KindInvalid, noteBadEncoding
	}
	if g, ok := guid(v); ok {
		return g, segmentbot.KindAADID, ""
	}
	if numeric(v) {
		return v, segmentbot.KindNumeric, ""
	}
	if !strings.Contains(v, "@") {
		if utf8.RuneCountInString(v) > maxExternalID {
			return "", segmentbot.KindInvalid, noteLongID
		}
		return v, segmentbot.KindExternal, ""
	}
	e, note := email(v)
	if note != "" {
		return "", segmentbot.KindInvalid, note
	}
	return e, segmentbot.KindEmail, ""
}

// trim removes white space and the invisible characters spreadsheets and
// chat clients leave around values.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\uFEFF', '\u200B', '\u200C', '\u200D', '\u2060', '\u00A0', '\u202F':
			return true
		}
		return unicode.IsSpace(r) || unicode.IsControl(r)
	})
}

// guid accepts 8-4-4-4-12 hex digits, with or without braces.
func guid(s string) (string, bool) {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !isHex(c) {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// numeric accepts the 5 to 20 digits of a Workplace or Messenger id.
func numeric(s string) bool {
	if len(s) < 5 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// email checks and normalises an address that contains an @.
func email(s string) (string, string) {
	if strings.Count(s, "@") > 1 {
		return "", noteManyAt
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "", noteSpace
	}
	local, domain, _ := strings.Cut(s, "@")
	switch {
	case local == "":
		return "", noteNoLocal
	case domain == "":
		return "", noteNoDomain
	case len(local) > 64 || len(s) > 254:
		return "", noteTooLong
	}
	if note := checkLocal(local); note != "" {
		return "", note
	}
	if !strings.Contains(strings.TrimSuffix(domain, "."), ".") {
		return "", noteDomainDot
	}
	ascii, ok := asciiDomain(domain)
	if !ok {
		return "", noteBadDomain
	}
	return strings.ToLower(local) + "@" + ascii, ""
}

// asciiDomain returns the lower-case ASCII form of domain. Plain ASCII
// names, nearly every row of a file, are checked here; only the others go
// through IDNA, which costs a microsecond a row.
func asciiDomain(domain string) (string, bool) {
	if !plainDomain(domain) {
		ascii, err := domainProfile.ToASCII(domain)
		return ascii, err == nil && !strings.HasSuffix(ascii, ".") && strings.Contains(ascii, ".")
	}
	return strings.ToLower(domain), true
}

// plainDomain reports whether domain is an ASCII host name in LDH form
// (letters, digits, hyphens; labels of 1 to 63 characters not starting or
// ending with a hyphen) that IDNA would leave as it is, up to case.
func plainDomain(domain string) bool {
	if len(domain) > 253 || strings.HasPrefix(domain, "xn--") || strings.Contains(domain, ".xn--") {
		return false
	}
	start := 0
	for i := 0; i <= len(domain); i++ {
		if i < len(domain) && domain[i] != '.' {
			c := domain[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
			continue
		}
		label := domain[start:i]
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		start = i + 1
	}
	return true
}

// checkLocal applies the dot-atom rules of RFC 5322 to the part before the
// @, allowing non-ASCII letters (RFC 6531). Quoted local parts are refused:
// no directory holds them.
func checkLocal(local string) string {
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return noteDots
	}
	for _, r := range local {
		if r >= utf8.RuneSelf {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				return noteBadLocal
			}
			continue
		}
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			continue
		}
		if !strings.ContainsRune(".!#$%&'*+-/=?^_`{|}~", r) {
			return noteBadLocal
		}
	}
	return ""
}
