package workplacetest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
)

// Sign returns the X-Hub-Signature-256 header Meta sends with body.
func Sign(secret string, body []byte) string {
	return "sha256=" + mac(sha256.New, secret, body)
}

// SignSHA1 returns the legacy X-Hub-Signature header of body.
func SignSHA1(secret string, body []byte) string {
	return "sha1=" + mac(sha1.New, secret, body)
}

func mac(h func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Event is one entry[].messaging[] event, described by what the user did.
// Set one of Text (with QuickReply for a quick reply), Postback or FileURL;
// Echo makes it the echo of a message the bot sent.
type Event struct {
	Sender     string
	Community  string // Workplace community id; empty for Messenger
	Page       string // recipient: the page or bot id
	Timestamp  int64  // milliseconds; 0 = 1700000000000
	MID        string
	Text       string
	QuickReply string // quick_reply.payload
	Postback   string // postback.payload
	FileURL    string
	Echo       bool
}

// Body returns a webhook body carrying events, as Meta posts it.
func Body(events ...Event) []byte {
	messaging := make([]any, len(events))
	for i, e := range events {
		messaging[i] = e.messaging()
	}
	body, err := json.Marshal(map[string]any{
		"object": "page",
		"entry":  []any{map[string]any{"id": "entry_id", "time": 1700000000000, "messaging": messaging}},
	})
	if err != nil {
		panic(err) // maps of strings always encode
	}
	return body
}

func (e Event) messaging() map[string]any {
	sender := map[string]any{"id": e.Sender}
	if e.Community != "" {
		sender["community"] = map[string]any{"id": e.Community}
	}
	ts := e.Timestamp
	if ts == 0 {
		ts = 1700000000000
	}
	m := map[string]any{"sender": sender, "recipient": map[string]any{"id": e.Page}, "timestamp": ts}
	if e.Postback != "" {
		m["postback"] = map[string]any{"title": "Button", "payload": e.Postback, "mid": e.MID}
		return m
	}
	msg := map[string]any{"mid": e.MID}
	if e.Text != "" {
		msg["text"] = e.Text
	}
	if e.QuickReply != "" {
		msg["quick_reply"] = map[string]any{"payload": e.QuickReply}
	}
	if e.FileURL != "" {
		msg["attachments"] = []any{map[string]any{"type": "file", "payload": map[string]any{"url": e.FileURL}}}
	}
	if e.Echo {
		msg["is_echo"] = true
	}
	m["message"] = msg
	return m
}
