package workplace

import (
	"net/url"
	"path"
	"strconv"
	"strings"
)

// webhook is the body of a Meta webhook POST. Only the fields the channel
// uses are decoded.
type webhook struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID        string      `json:"id"`
	Time      int64       `json:"time"`
	Messaging []messaging `json:"messaging"`
}

// messaging is one event of entry[].messaging[].
type messaging struct {
	Sender    party     `json:"sender"`
	Recipient party     `json:"recipient"`
	Timestamp int64     `json:"timestamp"` // milliseconds since the epoch
	Message   *message  `json:"message"`
	Postback  *postback `json:"postback"`
}

// party is a sender or recipient; Community is set on Workplace only.
type party struct {
	ID        string `json:"id"`
	Community *struct {
		ID string `json:"id"`
	} `json:"community"`
}

type message struct {
	MID        string `json:"mid"`
	Text       string `json:"text"`
	IsEcho     bool   `json:"is_echo"`
	QuickReply *struct {
		Payload string `json:"payload"`
	} `json:"quick_reply"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL string `json:"url"`
	} `json:"payload"`
}

type postback struct {
	MID     string `json:"mid"`
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

// key is the event's idempotency key: the message or postback mid, or the
// sender and timestamp for postbacks that carry none.
func (m *messaging) key() string {
	switch {
	case m.Message != nil && m.Message.MID != "":
		return m.Message.MID
	case m.Postback != nil && m.Postback.MID != "":
		return m.Postback.MID
	}
	return m.Sender.ID + "@" + strconv.FormatInt(m.Timestamp, 10)
}

// relevant reports whether the event is something a user did that the bot
// answers: not an echo of the bot's own message, a delivery or read
// receipt, or a kind of message the bot does not handle.
func (m *messaging) relevant() bool {
	if m.Sender.ID == "" {
		return false
	}
	if m.Postback != nil {
		return true
	}
	if m.Message == nil || m.Message.IsEcho {
		return false
	}
	return m.Message.Text != "" || m.Message.QuickReply != nil || m.Message.file() != nil
}

// tenant is the community on Workplace, or the page on Messenger.
func (m *messaging) tenant() string {
	if m.Sender.Community != nil && m.Sender.Community.ID != "" {
		return m.Sender.Community.ID
	}
	return m.Recipient.ID
}

// file returns the first file attachment, or nil.
func (msg *message) file() *attachment {
	for i := range msg.Attachments {
		if msg.Attachments[i].Type == "file" && msg.Attachments[i].Payload.URL != "" {
			return &msg.Attachments[i]
		}
	}
	return nil
}

// fileName derives the file's name and extension from its URL, which is all
// Meta sends about it.
func fileName(rawURL string) (name, ext string) {
	p := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		p = u.Path
	}
	name = path.Base(p)
	if name == "." || name == "/" {
		name = ""
	}
	return name, strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}
