package segmentbot

import (
	"context"
	"encoding/json"
	"time"
)

// Broadcast statuses (DESIGN §3): a contract, never renamed.
const (
	BroadcastScheduled      = "scheduled"
	BroadcastSending        = "sending"
	BroadcastSent           = "sent"
	BroadcastSentWithErrors = "sent_with_errors"
	BroadcastCancelled      = "cancelled"
	BroadcastFailed         = "failed"
	BroadcastPast           = "past" // a placeholder (no message) whose time has gone
)

// Broadcast is a message for a segment at a time. One without a Message is
// a placeholder: segmentbot knows of it only to warn about late uploads.
// One with a Message is delivered by the broadcaster (DESIGN §7).
type Broadcast struct {
	ID          int64     `json:"id" db:"id"`
	SegmentID   int64     `json:"segment_id" db:"segment_id"`
	Name        string    `json:"name" db:"name"`
	ScheduledAt time.Time `json:"scheduled_at" db:"scheduled_at"`
	CreatedBy   int64     `json:"created_by,omitempty" db:"created_by"` // user id; 0 for the API
	Status      string    `json:"status" db:"status"`
	CreatedAt   time.Time `json:"created_at" db:"created_at"`

	// Message is what recipients get; nil for a placeholder.
	Message *BroadcastMessage `json:"message"`
	// Filter narrows the segment's members when the audience is fixed
	// (DESIGN §8); nil reaches every member.
	Filter     *Filter    `json:"filter"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// ProgressMessage is the channel message id of the progress card the
	// admin sees, once it was posted (updated in place afterwards).
	ProgressMessage string `json:"-" db:"progress_msg"`
	// Counts are filled by the finders from the delivery rows.
	BroadcastCounts
}

// BroadcastCounts says how far a broadcast's delivery got.
type BroadcastCounts struct {
	Audience       int64            `json:"audience"`
	Sent           int64            `json:"sent"`
	Failed         int64            `json:"failed"`
	Skipped        int64            `json:"skipped"`
	Pending        int64            `json:"pending"`
	FailedByReason map[string]int64 `json:"failed_by_reason"`
}

// IsPlaceholder reports whether b has no message and is never sent.
func (b *Broadcast) IsPlaceholder() bool { return b.Message == nil }

// BroadcastMessage is the content of a broadcast (DESIGN §3). Text is
// Markdown. Card, when set, is a whole Adaptive Card sent as is (Teams
// only); the Opt out button and the line saying why the user gets it are
// added to every copy either way.
type BroadcastMessage struct {
	Title    string          `json:"title,omitempty"`
	Text     string          `json:"text,omitempty"`
	ImageURL string          `json:"image_url,omitempty"`
	Buttons  []LinkButton    `json:"buttons,omitempty"`
	Card     json.RawMessage `json:"card,omitempty"`
}

// LinkButton opens a URL.
type LinkButton struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Delivery statuses and reasons (DESIGN §3): contracts, never renamed.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliverySkipped = "skipped"

	DeliveryOptedOut     = "opted_out"     // left before their message went
	DeliveryNotReachable = "not_reachable" // no conversation could be opened
	DeliveryBlocked      = "blocked"       // the user blocked the bot
	DeliveryLeftTenant   = "left_tenant"
	DeliveryThrottled    = "throttled" // still refused after every retry
	DeliveryError        = "error"     // anything else; the upstream message is logged
)

// Delivery is one recipient of one broadcast. The row is written when the
// audience is fixed, before anything is sent, and moves pending -> sent |
// failed | skipped exactly once.
type Delivery struct {
	BroadcastID int64      `json:"broadcast_id" db:"broadcast_id"`
	UserID      int64      `json:"user_id" db:"user_id"`
	Name        string     `json:"name" db:"name"`
	Email       string     `json:"email" db:"email"`
	Status      string     `json:"status" db:"status"`
	Reason      string     `json:"reason,omitempty" db:"reason"`
	Attempts    int        `json:"attempts" db:"attempts"`
	SentAt      *time.Time `json:"sent_at" db:"sent_at"`
}

// Recipient is one delivery row a broadcaster claimed, with the user it
// goes to. Attempts counts the sends tried before this claim.
type Recipient struct {
	User     *User
	Attempts int
}

// DeliveryResult is the outcome of one recipient's send: Status sent,
// failed or skipped, with a Reason for the last two, and the number of
// sends tried in all.
type DeliveryResult struct {
	UserID   int64
	Status   string
	Reason   string
	Attempts int
}

// Warning statuses.
const (
	WarningPending = "pending" // written, not yet delivered
	WarningSent    = "sent"
	WarningFailed  = "failed" // gave up after retries
)

// Warning tells one admin that a large upload landed too close to a
// broadcast. There is one per (broadcast, import, recipient), written before
// the message is sent, so it is sent once.
type Warning struct {
	ID          int64      `json:"id" db:"id"`
	BroadcastID int64      `json:"broadcast_id" db:"broadcast_id"`
	ImportID    int64      `json:"import_id" db:"import_id"`
	UserID      int64      `json:"user_id" db:"user_id"`
	Status      string     `json:"status" db:"status"`
	Attempts    int        `json:"attempts" db:"attempts"`
	LastError   string     `json:"last_error,omitempty" db:"last_error"`
	CreatedAt   time.Time  `json:"created_at" db:"created_at"`
	SentAt      *time.Time `json:"sent_at" db:"sent_at"`
}

// Sender delivers one broadcast copy to one user on its channel: the
// personal conversation it knows, or one it opens (and keeps in
// to.ConvRef through the store). Each channel implements it. Errors carry
// a delivery reason through DeliveryError; anything else is retried by the
// broadcaster as transient.
type Sender interface {
	SendBroadcast(ctx context.Context, to *User, msg Message) error
}

// DeliveryFailure is a send error with its delivery reason; Retry says
// whether trying again later may succeed (429, 412, 5xx), RetryAfter how
// long the channel asked to wait (0 = not said).
type DeliveryFailure struct {
	Reason     string
	Retry      bool
	RetryAfter time.Duration
	Err        error
}

func (e *DeliveryFailure) Error() string { return "delivery " + e.Reason + ": " + e.Err.Error() }
func (e *DeliveryFailure) Unwrap() error { return e.Err }
