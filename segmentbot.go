// Package segmentbot is the domain vocabulary of the product: segments,
// members, users, opt-outs, imports and their row outcomes, broadcasts and
// warnings, the neutral chat message model, and the interfaces that the
// store, the channels and the bot implement.
//
// It imports nothing of the project and no framework: every other room
// depends on it, and it depends on none of them.
package segmentbot

import "time"

// Channels the bot talks on. The value is the Bot Framework channelId for
// Teams and a fixed name for the Meta webhook channel.
const (
	ChannelTeams     = "msteams"
	ChannelWorkplace = "workplace"
)

// User is one person in the directory: someone who talked to the bot, was in
// a roster the bot loaded, or was found by a live lookup.
type User struct {
	ID          int64     `json:"id" db:"id"`
	Channel     string    `json:"channel" db:"channel"`
	TenantID    string    `json:"tenant_id" db:"tenant_id"`
	ExternalID  string    `json:"external_id" db:"external_id"` // Teams user id (29:...) or Workplace/Messenger id
	AADObjectID string    `json:"aad_object_id,omitempty" db:"aad_object_id"`
	Email       string    `json:"email,omitempty" db:"email"` // lower case
	UPN         string    `json:"upn,omitempty" db:"upn"`     // lower case
	Name        string    `json:"name" db:"name"`
	Active      bool      `json:"active" db:"active"`
	InBotGroups bool      `json:"in_bot_groups" db:"in_bot_groups"` // in a roster/group the bot is installed in, or has a personal chat
	ConvRef     string    `json:"-" db:"conv_ref"`                  // channel-specific JSON for proactive messages; empty if none; one naming a "conversationId" is not replaced by one naming none
	TimeZone    string    `json:"-" db:"time_zone"`                 // IANA name from the last activity, if any
	LastSeen    time.Time `json:"last_seen" db:"last_seen"`
	// Attributes are the directory's standard attributes a lookup or a
	// directory sync returned (DESIGN §8): lower-case name -> value, ""
	// when the directory has none (the stored one is removed). A name
	// not in the map is left as stored; nil: the directory was not asked.
	// Stored with the user, source AttributeDirectory.
	Attributes map[string]string `json:"-" db:"-"`
}

// Team is a group the bot is installed in (a Teams team); its roster is
// part of "the bot's groups" and is reloaded daily.
type Team struct {
	Channel   string    `json:"channel" db:"channel"`
	ID        string    `json:"id" db:"id"`
	TenantID  string    `json:"tenant_id" db:"tenant_id"`
	Name      string    `json:"name" db:"name"`
	Ref       string    `json:"-" db:"ref"` // channel-specific JSON: how to reach the team's roster
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

// Segment is a named set of users that broadcasts go to.
type Segment struct {
	ID          int64     `json:"id" db:"id"`
	Name        string    `json:"name" db:"name"`
	Description string    `json:"description,omitempty" db:"description"`
	Reply       string    `json:"reply,omitempty" db:"reply"` // confirmation after opt-in; empty = default
	Members     int64     `json:"members" db:"members"`
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
	// Visibility says who may find and join the segment (Visibility*).
	Visibility string `json:"visibility" db:"visibility"`
	// LastImport is the newest import into the segment, if any.
	LastImport *ImportRef `json:"last_import"`
	// Filter makes a rule segment: its members are the users who match
	// it (DESIGN §8), kept up to date by SyncRuleSegment. Nil for a
	// segment whose members are added by hand, file or button.
	Filter *Filter `json:"filter,omitempty"`
	// RuleChange is what the update that returned the segment did to its
	// members when it changed the rule (UpdateSegment); not stored.
	RuleChange *RuleChange `json:"rule_change,omitempty"`
}

// ImportRef names an import and its status.
type ImportRef struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

// Segment visibilities.
const (
	VisibilityOpen   = "open"   // listed to end users and joinable
	VisibilityInvite = "invite" // joinable through a card an admin shared, not listed (the default)
	VisibilityClosed = "closed" // admins add people; the card offers only Opt out
)

// ValidVisibility reports whether v is a segment visibility.
func ValidVisibility(v string) bool {
	return v == VisibilityOpen || v == VisibilityInvite || v == VisibilityClosed
}

// MaxSegmentName is the longest segment name accepted, in characters.
const MaxSegmentName = 100

// Member is one user in one segment.
type Member struct {
	SegmentID int64     `json:"-" db:"segment_id"`
	UserID    int64     `json:"user_id" db:"user_id"`
	Name      string    `json:"name" db:"name"`
	Email     string    `json:"email" db:"email"`
	Source    string    `json:"source" db:"source"`
	JoinedAt  time.Time `json:"joined_at" db:"joined_at"`
	// Channel and ChannelID say where the user is reachable: msteams and
	// the 29: id, or workplace and the Workplace id (empty for a user
	// known only from a directory look-up).
	Channel   string `json:"channel" db:"channel"`
	ChannelID string `json:"channel_id" db:"channel_id"`
}

// Membership sources: how a user came into (or left) a segment.
const (
	SourceButton      = "button"      // opt-in / opt-out card button
	SourceKeyword     = "keyword"     // typed unsubscribe keyword
	SourceResubscribe = "resubscribe" // the Resubscribe button after a keyword opt-out
	SourceChat        = "chat"        // admin's add/remove command
	SourceImport      = "import"      // CSV import
	SourceAPI         = "api"         // REST API
	SourceSegment     = "segment"     // the segment was deleted
)

// ByUser reports whether a membership source is the user's own act. Only
// those may bring back a user who opted out (of one segment or, by typing
// unsubscribe, of all): an admin's paste, import, REST call or rule may not.
func ByUser(source string) bool {
	return source == SourceButton || source == SourceResubscribe || source == SourceKeyword
}

// Membership event actions.
const (
	ActionJoin  = "join"
	ActionLeave = "leave"
)

// MembershipEvent is one line of the membership log; the log is kept when a
// segment is deleted.
type MembershipEvent struct {
	ID        int64     `json:"id" db:"id"`
	SegmentID int64     `json:"segment_id" db:"segment_id"`
	UserID    int64     `json:"user_id" db:"user_id"`
	Action    string    `json:"action" db:"action"`
	Source    string    `json:"source" db:"source"`
	ActorID   int64     `json:"actor_id" db:"actor_id"` // the user who caused it; 0 for the API
	At        time.Time `json:"at" db:"at"`
	ImportID  int64     `json:"import_id,omitempty" db:"import_id"` // the import a join came from; 0 = none
}

// UserEvent is one line of a person's history: a membership event with
// the segment's name (empty once the segment is deleted) and the admin
// behind it, if any.
type UserEvent struct {
	MembershipEvent
	SegmentName string `json:"segment_name" db:"segment_name"`
	ActorName   string `json:"actor_name,omitempty" db:"actor_name"`
	ActorEmail  string `json:"actor_email,omitempty" db:"actor_email"`
}
