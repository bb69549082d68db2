package teams

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
)

// copies renders a broadcast's message once for all its copies. Every
// copy carries the same card; only the conversation it is posted to
// differs. Rendering the card (a tree of maps) and encoding it cost more
// than the POST itself, so the last message's activity is kept with its
// cards already encoded, and each copy only fills in its conversation.
type copies struct {
	mu   sync.Mutex
	last *renderedCopy
}

// renderedCopy is one message rendered: the activity without a
// conversation, its attachments' content encoded, or why the message
// cannot be sent (a REST card that fails CheckCard).
type renderedCopy struct {
	msg segmentbot.Message // a copy of the message rendered, shared with no caller
	act schema.Activity
	err error
}

// to returns the activity of one copy, posted to the conversation of ref.
func (r *renderedCopy) to(ref convRef) schema.Activity {
	a := r.act
	a.ServiceURL = ref.ServiceURL
	a.Conversation = schema.ConversationAccount{ID: ref.ConversationID}
	return a
}

// rendered returns msg rendered: the last one when msg equals it.
func (c *copies) rendered(msg segmentbot.Message) *renderedCopy {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && reflect.DeepEqual(c.last.msg, msg) {
		return c.last
	}
	r := &renderedCopy{msg: cloneMessage(msg)}
	c.last = r
	if len(msg.Card) > 0 {
		if err := segmentbot.CheckCard(msg.Card); err != nil {
			r.err = fmt.Errorf("teams: broadcast card: %w", err)
			return r
		}
	}
	r.act = messageActivity(convRef{}, msg)
	atts := make([]schema.Attachment, len(r.act.Attachments))
	for i, att := range r.act.Attachments {
		content, err := json.Marshal(att.Content)
		if err != nil {
			r.err = fmt.Errorf("teams: encoding the broadcast card: %w", err)
			return r
		}
		att.Content = json.RawMessage(content)
		atts[i] = att
	}
	r.act.Attachments = atts
	return r
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
