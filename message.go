package segmentbot

import "encoding/json"

// Message is a chat message in neutral form. cards renders it as an Adaptive
// Card for Teams and as a Meta template for Workplace/Messenger; bot builds
// it and never sees either format.
type Message struct {
	Title    string // plain text
	Text     string // plain text (Markdown when Markdown is set); line breaks are kept
	ImageURL string
	Facts    []Fact
	Buttons  []Button
	// Carousel, when set, makes the message a row of cards side by side
	// (Teams attachmentLayout carousel, Meta generic template); the outer
	// Title and Text are sent as a lead-in text, if any.
	Carousel []Message
	// Execute renders action buttons as Action.Execute (answered in the
	// invoke response with a refreshed card) instead of Action.Submit.
	Execute bool
	// Markdown marks Text as Markdown (a broadcast's message). Otherwise
	// Title, Text and Facts are plain: Teams escapes every Markdown
	// character, so a name like "[Click](https://evil.example)" shows as
	// typed, never as a link, and Meta channels, which render no Markdown,
	// get them as typed. Markdown text that embeds given names must
	// escape them itself (EscapeMarkdown). Teams renders Markdown text;
	// Meta channels get the plain text a reader would see, escapes gone.
	Markdown bool
	// Card, when set, is a whole Adaptive Card given through REST for a
	// broadcast: Teams sends it as is (with Buttons appended to its
	// actions); other channels fall back to Title and Text.
	Card json.RawMessage
	// Note is a small closing line after everything else (a broadcast's
	// "You get this because you joined News"); with a Card it is appended
	// to the card's body.
	Note string
}

// Fact is a name/value line of a card (a count in a report, a time).
type Fact struct {
	Name  string
	Value string
}

// Button is one button. Exactly one of Action, URL or Say is set.
type Button struct {
	Title  string
	Action *Action // handled by the bot (card action / postback), signed
	URL    string  // opens a link
	Say    string  // sends this text as if the user typed it
}

// Action is the data of a bot-handled button. Sig is an HMAC over every other
// field (see package signer); the user it applies to is always the
// authenticated sender, never anything in here.
type Action struct {
	Verb      string  `json:"verb"`
	SegmentID int64   `json:"segment_id,omitempty"`
	Segments  []int64 `json:"segments,omitempty"`
	Arg       string  `json:"arg,omitempty"`
	Sig       string  `json:"sig,omitempty"`
}

// Action verbs.
const (
	VerbOptIn         = "opt_in"
	VerbOptOut        = "opt_out"
	VerbResubscribe   = "resubscribe"
	VerbConfirmDelete = "confirm_delete"
	VerbPickSegment   = "import_into" // pick the target segment of a sent file; Arg is the pending file key
	// VerbCreateImport creates the segment a file was sent for and imports
	// the file into it; Arg is the segment name, the file URL and the file
	// name, one per line.
	VerbCreateImport = "create_and_import"
	VerbMoreSegments = "more_segments" // the next page of open segments after SegmentID; Arg is how many were shown
	VerbMoreHistory  = "more_history"  // admins: the next page of a person's history; Segments is user id, last event id
)

// ResubscribeAll is the Arg of a Resubscribe after a plain unsubscribe:
// the tap also lifts the global opt-out.
const ResubscribeAll = "all"
