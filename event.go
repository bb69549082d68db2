package segmentbot

import (
	"context"
	"time"
)

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
// a Receiver calls it once per activity.
type Handler interface {
	HandleEvent(ctx context.Context, ev Event) (*Response, error)
}

// Inbound is one activity a channel (or a host bot) received, handed to
// the bot's one entrance. Event.ID is the channel's activity id; Sender is
// the authenticated sender, not stored yet.
type Inbound struct {
	Event
	// Claims are further ids the activity claims besides its own, for an
	// activity with a twin (Teams announces an install twice): whichever
	// comes first is handled, the other changes nothing.
	Claims []string
	// Prepare, when set, runs once the activity is claimed and its sender
	// stored, before the bot decides (Teams loads a team's roster).
	Prepare func(ctx context.Context) error
	// Reply, when set, delivers the bot's answer, before the activity is
	// recorded as done and before anything the answer announces starts
	// (an import's progress card comes after its "Got it"). An error
	// releases the activity for the channel's retry, unless its change
	// recorded it already (see Once).
	Reply func(ctx context.Context, resp *Response) error
}

// Receiver is the bot's one entrance for inbound activities: every channel
// and a plugin host hand each activity to Receive, which runs it exactly
// once across redeliveries — claim the id, store the sender, handle, reply,
// record it done. A redelivered activity returns a nil Response and no
// error. Any other error means the activity was released and the channel
// should have it delivered again (answer 500).
type Receiver interface {
	Receive(ctx context.Context, in Inbound) (*Response, error)
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

// Profiler fills in what a channel's profile of a user says and u lacks:
// the name and email. A Messenger may implement it; the bot's entrance
// asks it about a sender stored without either, so member lists never
// show a blank row. It sets only empty fields.
type Profiler interface {
	Profile(ctx context.Context, u *User) error
}

// Directory looks users up live (Microsoft Graph, Workplace Graph) when the
// local directory has no match.
type Directory interface {
	// Lookup resolves misses in batches; every miss gets a result.
	Lookup(ctx context.Context, tenantID string, misses []Miss) ([]LookupResult, error)
	// Email returns the sign-in email or UPN of a directory user that the
	// directory vouches for, for admin checks: Teams answers only for users
	// of the bot's home tenant, from the member API or Graph's UPN, never
	// Graph's unverified mail. With an error, a non-empty name is what the
	// sender claims to be, unverified, to explain the refusal.
	Email(ctx context.Context, u *User) (string, error)
}

// QueuedEvent is one inbound webhook event in the durable queue.
type QueuedEvent struct {
	ID       int64  `db:"id"`
	Key      string `db:"event_key"` // the channel's idempotency key of the event
	Body     string `db:"body"`      // the event as the channel received it (JSON)
	Attempts int    `db:"attempts"`  // claims so far, this one included
}

// EventQueue keeps inbound events durably between their acknowledgement
// and their handling, so a large batch is answered at once and a crash
// loses none. The store implements it; a channel that has one queues its
// webhooks.
type EventQueue interface {
	// EnqueueEvents stores the events not queued yet, in one transaction,
	// claimed by the caller for lease (one attempt), and returns those
	// newly stored, with their ids, in the order given.
	EnqueueEvents(ctx context.Context, channel string, events []QueuedEvent, lease time.Duration) ([]QueuedEvent, error)
	// ClaimEvents leases up to n events of channel that nobody holds (or
	// whose lease ran out), oldest first, counting an attempt on each.
	ClaimEvents(ctx context.Context, channel string, n int, lease time.Duration) ([]QueuedEvent, error)
	// ReleaseEvents gives events back, to be claimed again from retryAt.
	ReleaseEvents(ctx context.Context, ids []int64, retryAt time.Time) error
	// DeleteEvent removes a handled (or abandoned) event.
	DeleteEvent(ctx context.Context, id int64) error
}
