package importer

import (
	"slices"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// Column names that head the user column, squeezed (lower case, without
// spaces, underscores, hyphens and dots). Email columns win over id ones.
var (
	emailHeaders = []string{"email", "emailaddress", "mail", "upn", "userprincipalname"}
	idHeaders    = []string{"id", "externalid", "userid", "objectid", "aadobjectid"}
)

// headerColumn reports whether fields is a header row and which column
// holds the users. A value that is itself a valid email or platform id is
// data; any word could be an external id, so those do not count.
func headerColumn(fields []string) (int, bool) {
	for _, f := range fields {
		if _, kind, _ := Normalize(f); kind != segmentbot.KindInvalid && kind != segmentbot.KindExternal {
			return 0, false
		}
	}
	for _, names := range [][]string{emailHeaders, idHeaders} {
		for i, f := range fields {
			if slices.Contains(names, squeeze(f)) {
				return i, true
			}
		}
	}
	return 0, false
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.':
			return -1
		}
		return r
	}, strings.ToLower(trim(s)))
}
