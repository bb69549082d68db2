package segmentbot

import "context"

// Event kinds a channel hands to the bot.
const (
	EventMessage   = "message"    // typed text
	EventAction    = "action"     // a card button or postback
	EventFile      = "file"       // a file sent in chat
	EventInstalled = "installed"  // the bot was added to a personal chat
	EventTeam      = "team_added" // the bot was added to a team; the roster was loaded
)

// Event is one thing a user did, in channel-neutral form. Sender comes only
// from the authenticated activity or signed webhook, never from card data.
type Event struct {
	ID       string // the channel's activity / message id, for idempotency
	Kind     string
	Channel  string
	Sender   User
	Personal bool // a one-to-one chat with the bot
	Text     string
	Action   *Action
	Invoke   bool // the answer goes back in the HTTP response (Action.Execute)
	File     *File
	TimeZone string // IANA name the client reported, if any
}

// File is a file a user sent to the bot.
type File struct {
	URL  string
	Name string
	Type string // file extension as the channel reports it, e.g. "csv"
}

// Response is what the bot answers to an Event. Messages are sent to the
// conversation; Card, when set for an invoke, is the refreshed card returned
// in the HTTP response.
type Response struct {
	Messages []Message
	Card     *Message
}

// Handler turns events into domain changes and replies. bot implements it;
// channels call it.
type Handler interface {
	HandleEvent(ctx context.Context, ev Event) (*Response, error)
}

// Messenger sends messages outside a request: progress cards, reports,
// warnings. Each channel implements it; to.ConvRef tells where.
type Messenger interface {
	// Send posts msg to the user's conversation and returns the new
	// message id.
	Send(ctx context.Context, to *User, msg Message) (string, error)
	// Update replaces a sent message in place. Channels that cannot edit a
	// message return an error with code EINVALID.
	Update(ctx context.Context, to *User, messageID string, msg Message) error
}

// Directory looks users up live (Microsoft Graph, Workplace Graph) when the
// local directory has no match.
type Directory interface {
	// Lookup resolves misses in batches; every miss gets a result.
	Lookup(ctx context.Context, tenantID string, misses []Miss) ([]LookupResult, error)
	// Email returns the email or UPN of a directory user, for admin checks.
	Email(ctx context.Context, u *User) (string, error)
}
