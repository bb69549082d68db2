package segmentbot

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Filter ops (DESIGN §8): a contract, never renamed.
const (
	OpIn      = "in"
	OpNotIn   = "not_in"
	OpExists  = "exists"
	OpMissing = "missing"
)

// Filter narrows a set of users by their attributes: every condition must
// hold. Names and values are compared without case.
type Filter struct {
	All []Condition `json:"all"`
}

// Condition is one test of one attribute.
type Condition struct {
	Attribute string   `json:"attribute"`
	Op        string   `json:"op"`
	Values    []string `json:"values,omitempty"`
}

// Attribute is one name -> value of a user, from the directory or an import.
type Attribute struct {
	UserID int64  `json:"user_id" db:"user_id"`
	Name   string `json:"name" db:"name"`   // lower case, trimmed
	Value  string `json:"value" db:"value"` // as given; compared without case
	Source string `json:"source" db:"source"`
}

// Limits of a filter and of stored attributes: a filter is typed by a
// person, an attribute comes from the directory or a CSV column.
const (
	MaxConditions     = 20   // conditions in one filter
	MaxFilterValues   = 100  // values of one in / not_in condition
	MaxAttributeName  = 100  // characters of an attribute name
	MaxAttributeValue = 1000 // characters of an attribute value
	// MaxAttributeBytes caps a stored value in bytes too: PostgreSQL's
	// filter index takes at most 2,704 bytes a row (name, folded value,
	// user), and 1,000 characters of CJK text are 3,000 bytes.
	MaxAttributeBytes = 1500
)

// AttributeValueFits reports whether v is within both caps of a stored
// attribute value.
func AttributeValueFits(v string) bool {
	return len(v) <= MaxAttributeBytes && utf8.RuneCountInString(v) <= MaxAttributeValue
}

// CutAttributeValue cuts v to both caps of a stored attribute value, at a
// character boundary, for values the service does not refuse (the
// directory's).
func CutAttributeValue(v string) string {
	if AttributeValueFits(v) {
		return v
	}
	n, chars := 0, 0
	for i, r := range v {
		if chars == MaxAttributeValue || i+utf8.RuneLen(r) > MaxAttributeBytes {
			break
		}
		n, chars = i+utf8.RuneLen(r), chars+1
	}
	return strings.TrimSpace(v[:n])
}

// AttributeName is the stored form of an attribute name: trimmed, lower
// case.
func AttributeName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// FoldValue is the form in which attribute values are compared: trimmed
// and lower-cased in Go (Unicode, unlike SQLite's ASCII-only lower()).
func FoldValue(value string) string {
	return strings.ToLower(strings.TrimSpace(value))
}

// Normalize returns a copy of f with names in their stored form
// (AttributeName), ops trimmed and lower-cased and values trimmed; nil
// for nil.
func (f *Filter) Normalize() *Filter {
	if f == nil {
		return nil
	}
	n := &Filter{All: make([]Condition, len(f.All))}
	for i, c := range f.All {
		n.All[i] = Condition{Attribute: AttributeName(c.Attribute), Op: strings.ToLower(strings.TrimSpace(c.Op))}
		for _, v := range c.Values {
			n.All[i].Values = append(n.All[i].Values, strings.TrimSpace(v))
		}
	}
	return n
}

// Validate reports the first thing wrong with f as EINVALID: no
// condition or too many, a condition without an attribute name or with
// an unknown op, in / not_in without values (or too many, or an empty
// one), exists / missing with values, a name or value too long. A nil
// filter (no filter) is valid. Names and values are checked trimmed, as
// Normalize stores them.
func (f *Filter) Validate() error {
	if f == nil {
		return nil
	}
	switch {
	case len(f.All) == 0:
		return Errorf(EINVALID, "The filter has no condition: give at least one, or no filter.")
	case len(f.All) > MaxConditions:
		return Errorf(EINVALID, "The filter has %d conditions; at most %d are allowed.", len(f.All), MaxConditions)
	}
	for i, c := range f.All {
		if problem := c.problem(); problem != "" {
			return Errorf(EINVALID, "Condition %d of the filter: %s", i+1, problem)
		}
	}
	return nil
}

// problem says what is wrong with one condition, as a sentence without
// a code, or "" when nothing is.
func (c Condition) problem() string {
	name := AttributeName(c.Attribute)
	op := strings.ToLower(strings.TrimSpace(c.Op))
	switch {
	case name == "":
		return ("the attribute name is missing.")
	case utf8.RuneCountInString(name) > MaxAttributeName:
		return fmt.Sprintf("the attribute name is longer than %d characters.", MaxAttributeName)
	}
	switch op {
	case OpIn, OpNotIn:
		if len(c.Values) == 0 {
			return fmt.Sprintf("%s %s needs at least one value.", name, op)
		} else if len(c.Values) > MaxFilterValues {
			return fmt.Sprintf("%s %s has %d values; at most %d are allowed.", name, op, len(c.Values), MaxFilterValues)
		}
		for _, v := range c.Values {
			v = strings.TrimSpace(v)
			if v == "" {
				return fmt.Sprintf("%s %s has an empty value; to ask for users without %s, use missing.", name, op, name)
			} else if utf8.RuneCountInString(v) > MaxAttributeValue {
				return fmt.Sprintf("%s %s has a value longer than %d characters.", name, op, MaxAttributeValue)
			}
		}
	case OpExists, OpMissing:
		if len(c.Values) > 0 {
			return fmt.Sprintf("%s %s takes no values.", name, op)
		}
	case "":
		return fmt.Sprintf("the op of %s is missing: use in, not_in, exists or missing.", name)
	default:
		return fmt.Sprintf("unknown op %q for %s: use in, not_in, exists or missing.", c.Op, name)
	}
	return ""
}
