package segmentbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Action verbs of a broadcast preview's buttons; Arg is the draft id.
const (
	VerbSendDraft     = "broadcast_send"     // send the previewed broadcast now
	VerbScheduleDraft = "broadcast_schedule" // schedule it for the time it was written with
	VerbDiscardDraft  = "broadcast_discard"  // throw the preview away
)

// Limits of a broadcast message: what a Teams message holds (about 28 KB)
// with room for the Opt out button and the why-line, and what a card
// shows.
const (
	MaxBroadcastName    = 200
	MaxBroadcastTitle   = 200
	MaxBroadcastText    = 10_000 // characters
	MaxBroadcastButtons = 5      // link buttons; the Opt out button makes six
	MaxButtonTitle      = 50
	MaxURL              = 2048
	MaxBroadcastCard    = 24 << 10 // bytes of a whole Adaptive Card
)

// ValidateBroadcastName checks a broadcast's name as ValidateName does a
// segment's, with MaxBroadcastName characters at most.
func ValidateBroadcastName(field, s string) (string, error) {
	return validateName(field, s, MaxBroadcastName)
}

// Validate checks a message before it is stored: text or a card, https
// links only, sizes within the limits, and title, text and button titles
// as CleanText and CleanLines check what people see (NFC, no control or
// invisible characters). EINVALID says what is wrong in words both an
// admin in chat and an API client understand.
func (m *BroadcastMessage) Validate() error {
	var err error
	if m.Title, err = CleanText("title", m.Title, 0); err != nil {
		return err
	}
	if m.Text, err = CleanLines("text", m.Text, 0); err != nil {
		return err
	}
	m.ImageURL = strings.TrimSpace(m.ImageURL)
	switch {
	case m.Text == "" && len(m.Card) == 0:
		return Errorf(EINVALID, "The message needs text (or, through the API, a whole Adaptive Card).")
	case utf8.RuneCountInString(m.Title) > MaxBroadcastTitle:
		return Errorf(EINVALID, "The title is %d characters long; keep it to %d.", utf8.RuneCountInString(m.Title), MaxBroadcastTitle)
	case utf8.RuneCountInString(m.Text) > MaxBroadcastText:
		return Errorf(EINVALID, "The text is %d characters long; keep it to %d.", utf8.RuneCountInString(m.Text), MaxBroadcastText)
	case len(m.Buttons) > MaxBroadcastButtons:
		return Errorf(EINVALID, "The message has %d buttons; it may have at most %d (the Opt out button comes on top).", len(m.Buttons), MaxBroadcastButtons)
	}
	if m.ImageURL != "" {
		if err := checkHTTPS("The image URL", m.ImageURL); err != nil {
			return err
		}
	}
	for i := range m.Buttons {
		b := &m.Buttons[i]
		if b.Title, err = CleanText(fmt.Sprintf("title of button %d", i+1), b.Title, 0); err != nil {
			return err
		}
		b.URL = strings.TrimSpace(b.URL)
		switch {
		case b.Title == "":
			return Errorf(EINVALID, "Button %d has no title.", i+1)
		case utf8.RuneCountInString(b.Title) > MaxButtonTitle:
			return Errorf(EINVALID, "The title of button %d is %d characters long; keep it to %d.", i+1, utf8.RuneCountInString(b.Title), MaxButtonTitle)
		}
		if err := checkHTTPS("The link of button "+b.Title, b.URL); err != nil {
			return err
		}
	}
	if len(m.Card) > 0 {
		return CheckCard(m.Card)
	}
	return nil
}

// checkHTTPS refuses anything but an absolute https URL with a host.
func checkHTTPS(what, raw string) error {
	if len(raw) > MaxURL {
		return Errorf(EINVALID, "%s is %d characters long; keep it to %d.", what, len(raw), MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return Errorf(EINVALID, "%s must be an https:// link, not %q.", what, raw)
	}
	return nil
}

// CheckCard reports whether raw is a whole Adaptive Card that can carry a
// broadcast: a JSON object of type "AdaptiveCard", at most
// MaxBroadcastCard bytes, whose body and actions, when present, are lists
// (the Opt out button and the why-line are appended to them), with https
// links only. Anything else is EINVALID saying what is wrong. It is the
// one check of a given card: Validate makes it before a message is
// stored, and the Teams channel again before it sends one.
func CheckCard(raw json.RawMessage) error {
	if len(raw) > MaxBroadcastCard {
		return Errorf(EINVALID, "The card is %d bytes; keep it to %d.", len(raw), MaxBroadcastCard)
	}
	var card map[string]any
	if err := json.Unmarshal(raw, &card); err != nil || card == nil {
		return Errorf(EINVALID, "The card must be a JSON object (an Adaptive Card).")
	}
	if card["type"] != "AdaptiveCard" {
		return Errorf(EINVALID, "The card must be an Adaptive Card: its \"type\" must be \"AdaptiveCard\", not %v.", quoteAny(card["type"]))
	}
	for _, list := range []string{"body", "actions"} {
		if _, ok := card[list].([]any); card[list] != nil && !ok {
			return Errorf(EINVALID, "The card's %q must be a list.", list)
		}
	}
	return checkCardLinks(card)
}

// checkCardLinks holds every link of a card (url, iconUrl, backgroundImage
// and the like) to https, as the message's own links are.
func checkCardLinks(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			s, isText := e.(string)
			lk := strings.ToLower(k)
			if isText && (strings.HasSuffix(lk, "url") || lk == "backgroundimage") {
				if err := checkHTTPS(fmt.Sprintf("The card's %q", k), s); err != nil {
					return err
				}
			} else if err := checkCardLinks(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkCardLinks(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func quoteAny(v any) string {
	if v == nil {
		return "missing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// DeliveryReasons lists the delivery failure reasons in the order reports
// show them.
var DeliveryReasons = []string{DeliveryNotReachable, DeliveryBlocked, DeliveryLeftTenant, DeliveryThrottled, DeliveryError, DeliveryOptedOut}

// DeliveryReasonText says why a copy did not go out, in the words an admin
// reads in chat (the delivery twin of ReasonText).
func DeliveryReasonText(reason string) string {
	switch reason {
	case DeliveryOptedOut:
		return "opted out before their turn"
	case DeliveryNotReachable:
		return "the bot cannot reach them (not in its teams, or it was removed)"
	case DeliveryBlocked:
		return "they blocked the bot"
	case DeliveryLeftTenant:
		return "no longer in the organisation"
	case DeliveryThrottled:
		return "Teams kept refusing (too many requests) after every retry"
	case DeliveryError:
		return "an error on the channel's side (details in the log)"
	}
	return reason
}

// BroadcastStatusText says a broadcast status in words.
func BroadcastStatusText(status string) string {
	switch status {
	case BroadcastSentWithErrors:
		return "sent with errors"
	case BroadcastPast:
		return "past (a placeholder: nothing was sent)"
	}
	return status
}

// Draft states.
const (
	DraftOpen      = "open"      // previewed, waiting for the admin
	DraftConfirmed = "confirmed" // sent or scheduled: BroadcastID says which
	DraftDiscarded = "discarded"
)

// BroadcastDraft is a broadcast written in chat and previewed, not yet
// confirmed. Nothing is sent or scheduled for it; a confirmation turns it
// into a Broadcast exactly once, however often its buttons are tapped.
type BroadcastDraft struct {
	ID          int64            `db:"id"`
	SegmentID   int64            `db:"segment_id"`
	Name        string           `db:"name"`
	ScheduledAt *time.Time       `db:"scheduled_at"` // the time it was written with; nil = none
	Message     BroadcastMessage `db:"-"`
	Filter      *Filter          `db:"-"`
	CreatedBy   int64            `db:"created_by"`
	CreatedAt   time.Time        `db:"created_at"`
	State       string           `db:"state"`
	BroadcastID int64            `db:"broadcast_id"` // set once confirmed
}

// DraftService keeps previews until the admin decides.
type DraftService interface {
	// CreateDraft stores d as open and fills ID, State and CreatedAt.
	CreateDraft(ctx context.Context, d *BroadcastDraft) error
	// FindDraftByID returns ENOTFOUND if there is none.
	FindDraftByID(ctx context.Context, id int64) (*BroadcastDraft, error)
	// ConfirmDraft turns an open draft into a scheduled broadcast at at,
	// created by by, in one transaction, and reports true. A draft
	// confirmed already returns its broadcast and false; a discarded one
	// returns nil and false. Two confirmations racing make one broadcast.
	ConfirmDraft(ctx context.Context, id int64, at time.Time, by int64) (*Broadcast, bool, error)
	// DiscardDraft marks an open draft discarded and reports whether it
	// was open.
	DiscardDraft(ctx context.Context, id int64) (*BroadcastDraft, bool, error)
	// DeleteDraftsBefore removes the drafts created before t, in any
	// state, and returns how many.
	DeleteDraftsBefore(ctx context.Context, t time.Time) (int64, error)
	// CountRecipients counts the members of a segment who have not opted
	// out: who a broadcast to it would reach now.
	CountRecipients(ctx context.Context, segmentID int64) (int64, error)
	// FindChatUsers returns the users that have a chat with the bot and
	// match one of identities (SEGMENTBOT_ADMINS' emails/UPNs, AAD object
	// ids, channel ids): whom a broadcast made through REST reports to.
	FindChatUsers(ctx context.Context, identities []string) ([]*User, error)
}
