package importer

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

// Column names that head the user column, squeezed (lower case, without
// spaces, underscores, hyphens and dots). Email columns win over id ones.
var (
	emailHeaders = []string{"email", "emailaddress", "mail", "emails", "workemail", "businessemail", "primaryemail",
		"upn", "userprincipalname"}
	idHeaders = []string{"id", "externalid", "userid", "objectid", "aadobjectid", "employeeid", "employeenumber",
		"employeeno", "staffid", "staffnumber", "personnelnumber"}
)

// sampleRows is how many data rows decide the user column by content when
// no header names it.
const sampleRows = 20

// maxAttributeColumns bounds the columns kept as attributes: more than this
// is a sheet export, not a list of people.
const maxAttributeColumns = 50

// attributeColumn is a column stored as a custom attribute (DESIGN §8).
type attributeColumn struct {
	index int
	name  string // the header, lower-cased and trimmed
}

// isHeader reports whether fields can be a header row. A value that is
// itself a valid email or platform id is data; any word could be an
// external id, so those do not count.
func isHeader(fields []string) bool {
	for _, f := range fields {
		if _, kind, _ := Normalize(f); kind != segmentbot.KindInvalid && kind != segmentbot.KindExternal {
			return false
		}
	}
	return true
}

// keyByName finds the user column of a header row by its name.
func keyByName(header []string) (int, bool) {
	for _, names := range [][]string{emailHeaders, idHeaders} {
		for i, f := range header {
			if slices.Contains(names, squeeze(f)) {
				return i, true
			}
		}
	}
	return 0, false
}

// keyByContent finds the user column of sample rows whose header, if any,
// names none: the column where most values are emails, or else AAD object
// ids, provided they are at least half of its values. Numbers and words
// say nothing (phone numbers, cost centres), so they never decide.
func keyByContent(sample [][]string) (int, bool) {
	for _, want := range []string{segmentbot.KindEmail, segmentbot.KindAADID} {
		best, bestHits := 0, 0
		for col := 0; ; col++ {
			hits, filled, present := 0, 0, false
			for _, fields := range sample {
				if col >= len(fields) {
					continue
				}
				present = true
				if trim(fields[col]) == "" {
					continue
				}
				filled++
				if _, kind, _ := Normalize(fields[col]); kind == want {
					hits++
				}
			}
			if !present {
				break
			}
			if hits > bestHits && 2*hits >= filled {
				best, bestHits = col, hits
			}
		}
		if bestHits > 0 {
			return best, true
		}
	}
	return 0, false
}

// attributeColumns lists the columns of header other than the key, each
// name once (the first column of a name wins); unnamed columns are left
// out. EINVALID for more than maxAttributeColumns, or a name longer than
// segmentbot.MaxAttributeName.
func attributeColumns(header []string, key int) ([]attributeColumn, error) {
	var cols []attributeColumn
	seen := map[string]bool{}
	for i, f := range header {
		name := segmentbot.AttributeName(clean(f))
		if i == key || name == "" || seen[name] {
			continue
		}
		if utf8.RuneCountInString(name) > segmentbot.MaxAttributeName {
			return nil, segmentbot.Errorf(segmentbot.EINVALID,
				"the header of column %d is longer than %d characters; an attribute's name must be shorter", i+1, segmentbot.MaxAttributeName)
		}
		seen[name] = true
		cols = append(cols, attributeColumn{index: i, name: name})
	}
	if len(cols) > maxAttributeColumns {
		return nil, segmentbot.Errorf(segmentbot.EINVALID,
			"the file has %d columns besides the emails or ids; I keep at most %d as attributes", len(cols), maxAttributeColumns)
	}
	return cols, nil
}

// errNoKey says that no column of header holds the users, naming the
// columns seen.
func errNoKey(header []string) error {
	names := make([]string, 0, len(header))
	for _, f := range header {
		name := []rune(clean(f))
		if len(name) > 40 {
			name = append(name[:40], '…')
		}
		if len(name) == 0 {
			names = append(names, "(no name)")
			continue
		}
		names = append(names, "“"+string(name)+"”")
	}
	return segmentbot.Errorf(segmentbot.EINVALID,
		"no column holds emails or ids: the columns are %s. Put email (or id) at the top of the users' column and send the file again",
		strings.Join(names, ", "))
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
