package teams

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/segmentbot/segmentbot"
)

// copies renders a broadcast's message once for all its copies. Every
// copy carries the same card; only the conversation it is posted to
// differs. Rendering the card (a tree of maps) and encoding it cost more
// than the POST itself, so the last message is kept with its activity
// already encoded, and each copy only appends its conversation.
type copies struct {
	mu   sync.Mutex // held while rendering
	last atomic.Pointer[renderedCopy]
}

// renderedCopy is one message rendered: the JSON of its activity without
// a conversation and without the closing brace, or why the message
// cannot be sent (a REST card that fails CheckCard).
type renderedCopy struct {
	msg  segmentbot.Message // a copy of the message rendered, shared with no caller
	head []byte
	err  error
}

// body returns the JSON of one copy, posted to conversation id.
func (r *renderedCopy) body(conversation string) ([]byte, error) {
	id, err := json.Marshal(conversation)
	if err != nil {
		return nil, fmt.Errorf("teams: encoding conversation id: %w", err)
	}
	b := make([]byte, 0, len(r.head)+len(id)+24)
	b = append(b, r.head...)
	b = append(b, `,"conversation":{"id":`...)
	b = append(b, id...)
	return append(b, "}}"...), nil
}

// rendered returns msg rendered: the last one when msg equals it.
func (c *copies) rendered(msg segmentbot.Message) *renderedCopy {
	if r := c.last.Load(); r != nil && sameMessage(r.msg, msg) {
		return r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.last.Load(); r != nil && sameMessage(r.msg, msg) {
		return r
	}
	r := render(msg)
	c.last.Store(r)
	return r
}

func render(msg segmentbot.Message) *renderedCopy {
	r := &renderedCopy{msg: cloneMessage(msg)}
	if len(msg.Card) > 0 {
		if err := segmentbot.CheckCard(msg.Card); err != nil {
			r.err = fmt.Errorf("teams: broadcast card: %w", err)
			return r
		}
	}
	b, err := json.Marshal(wire(messageActivity(convRef{}, msg)))
	if err != nil {
		r.err = fmt.Errorf("teams: encoding the broadcast: %w", err)
		return r
	}
	r.head = b[:len(b)-1]
	return r
}

// sameMessage reports whether a and b are the same message, field by
// field (TestSameMessageComparesEveryField keeps it in step with Message).
func sameMessage(a, b segmentbot.Message) bool {
	return a.Title == b.Title && a.Text == b.Text && a.ImageURL == b.ImageURL &&
		a.Execute == b.Execute && a.Markdown == b.Markdown && a.Note == b.Note &&
		bytes.Equal(a.Card, b.Card) && slices.Equal(a.Facts, b.Facts) &&
		slices.EqualFunc(a.Buttons, b.Buttons, sameButton) &&
		slices.EqualFunc(a.Carousel, b.Carousel, sameMessage)
}

func sameButton(a, b segmentbot.Button) bool {
	if a.Title != b.Title || a.URL != b.URL || a.Say != b.Say || (a.Action == nil) != (b.Action == nil) {
		return false
	}
	if a.Action == nil {
		return true
	}
	x, y := a.Action, b.Action
	return x.Verb == y.Verb && x.SegmentID == y.SegmentID && x.Arg == y.Arg && x.Sig == y.Sig && slices.Equal(x.Segments, y.Segments)
}

// cloneMessage copies msg deeply, so that a caller changing its message
// later cannot change what was rendered from it.
func cloneMessage(msg segmentbot.Message) segmentbot.Message {
	msg.Facts = slices.Clone(msg.Facts)
	msg.Buttons = slices.Clone(msg.Buttons)
	for i, b := range msg.Buttons {
		if b.Action != nil {
			a := *b.Action
			a.Segments = slices.Clone(a.Segments)
			msg.Buttons[i].Action = &a
		}
	}
	if msg.Carousel != nil {
		carousel := make([]segmentbot.Message, len(msg.Carousel))
		for i, m := range msg.Carousel {
			carousel[i] = cloneMessage(m)
		}
		msg.Carousel = carousel
	}
	msg.Card = slices.Clone(msg.Card)
	return msg
}
