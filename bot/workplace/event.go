package workplace

import (
	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// event turns a relevant webhook event into the bot's Event. Button payloads
// are decoded here; their signature is the bot's to check.
func (c *Channel) event(m *messaging, key string, sender *segmentbot.User) segmentbot.Event {
	ev := segmentbot.Event{
		ID:       key,
		Channel:  segmentbot.ChannelWorkplace,
		Sender:   *sender,
		Personal: true,
	}
	switch {
	case m.Postback != nil:
		return c.payloadEvent(ev, m.Postback.Payload, m.Postback.Title)
	case m.Message.QuickReply != nil:
		return c.payloadEvent(ev, m.Message.QuickReply.Payload, m.Message.Text)
	case m.Message.file() != nil:
		a := m.Message.file()
		name, ext := fileName(a.Payload.URL)
		ev.Kind = segmentbot.EventFile
		ev.File = &segmentbot.File{URL: a.Payload.URL, Name: name, Type: ext}
		ev.Text = m.Message.Text
		return ev
	}
	ev.Kind = segmentbot.EventMessage
	ev.Text = m.Message.Text
	return ev
}

// payloadEvent makes an Action event of a button payload, or a Message
// event for a {"say":...} payload. A payload that is not the bot's (a
// button made elsewhere, a page's "Get Started") reads as the user saying
// what the button showed.
func (c *Channel) payloadEvent(ev segmentbot.Event, payload, shown string) segmentbot.Event {
	action, say, err := cards.DecodeMetaPayload(payload)
	switch {
	case err != nil:
		c.log.Debug("button payload is not the bot's", "event", ev.ID, "err", err)
		ev.Kind, ev.Text = segmentbot.EventMessage, shown
	case action != nil:
		ev.Kind, ev.Action = segmentbot.EventAction, action
	default:
		ev.Kind, ev.Text = segmentbot.EventMessage, say
	}
	return ev
}
