package segmentbot

import "context"

// Attribute sources: where a user's attribute came from.
const (
	AttributeDirectory = "directory" // Graph or Workplace member lookups and the directory sync
	AttributeImport    = "import"    // an extra column of an imported CSV file
)

// SourceRule is the membership source of a rule segment's joins and
// leaves: the user came to match (or stopped matching) its filter.
const SourceRule = "rule"

// CheckManual refuses, with ERULESEGMENT, to change the members of a rule
// segment by hand: an import, pasted emails, an admin's add or removal
// (chat or REST). Its members are the users its rule matches, and the
// next sync would undo the change anyway. Nil for any other segment.
func (s *Segment) CheckManual() error {
	if s.Filter == nil {
		return nil
	}
	return Errorf(ERULESEGMENT, "%s is a rule segment: its members are the people its rule matches, so files, pasted emails and adding or removing people by hand can't change it.", s.Name)
}

// DirectoryAttributes are the standard attributes the directory gives
// (DESIGN §8), by channel, as attribute names (lower case).
var DirectoryAttributes = map[string][]string{
	"msteams":   {"department", "jobtitle", "officelocation", "city", "country", "companyname", "employeetype", "preferredlanguage"},
	"workplace": {"department", "title", "division", "location", "locale"},
}

// AttributeCount is one attribute name with how many users have it and
// its commonest values.
type AttributeCount struct {
	Name   string       `json:"name"`
	Users  int64        `json:"users"`
	Values []ValueCount `json:"values"`
}

// ValueCount is one value of an attribute with how many users have it.
type ValueCount struct {
	Value string `json:"value"`
	Users int64  `json:"users"`
}

// Audience is who a broadcast to a segment with a filter would reach now:
// members not opted out (of the segment or of everything) matching it.
type Audience struct {
	Count  int64   `json:"count"`
	Sample []*User `json:"sample"`
}

// RuleChange is what bringing a rule segment up to date did.
type RuleChange struct {
	Joined int64 `json:"joined"`
	Left   int64 `json:"left"`
}

// AttributeService keeps user attributes and answers who a filter reaches.
type AttributeService interface {
	// SaveAttributes stores each (user, name) -> value with its source,
	// names lower-cased and trimmed, values trimmed. An empty Value removes
	// that attribute (the directory no longer has it). It returns how many
	// distinct users had at least one attribute added, changed or removed.
	SaveAttributes(ctx context.Context, attrs []Attribute) (int64, error)
	// FindAttributes returns a user's attributes by name.
	FindAttributes(ctx context.Context, userID int64) ([]Attribute, error)
	// CountAttributes lists every attribute name with its user count and
	// its top commonest values (case folded), names in alphabetical order.
	CountAttributes(ctx context.Context, top int) ([]AttributeCount, error)
	// FindAudience counts the members of segmentID a broadcast with filter
	// f (nil: everyone) would reach now, and returns up to sample of them.
	// Its rule is FixAudience's, so the count is what a broadcast fixes.
	FindAudience(ctx context.Context, segmentID int64, f *Filter, sample int) (*Audience, error)
	// SyncRuleSegment brings a rule segment's members in line with its
	// filter: users who match join, members who no longer match leave,
	// both logged with source rule. Opted-out users (of the segment or of
	// everything) are never joined. EINVALID for a segment without a rule.
	SyncRuleSegment(ctx context.Context, segmentID int64) (*RuleChange, error)
	// SyncRuleSegments runs SyncRuleSegment on every rule segment.
	SyncRuleSegments(ctx context.Context) (*RuleChange, error)
}
