package broadcaster

import (
	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/signer"
)

// OptOutTitle is the title of the Opt out button every copy carries.
const OptOutTitle = "Opt out"

// Copy is the message every recipient of b gets, in neutral form: the
// broadcast's title, Markdown text, image and link buttons (or its whole
// Adaptive Card, which Teams sends as is and other channels replace with
// the title and text), then the segment's signed Opt out button and the
// line saying why the user gets it. The preview shown to the author is
// built by the same function, so it is exactly what recipients see.
//
// The Opt out action names only the segment: the user it applies to is the
// one who taps it, as for every card action.
func Copy(b *segmentbot.Broadcast, seg *segmentbot.Segment, s *signer.Signer) segmentbot.Message {
	var msg segmentbot.Message
	if m := b.Message; m != nil {
		msg = segmentbot.Message{Title: m.Title, Text: m.Text, Markdown: true, ImageURL: m.ImageURL, Card: m.Card}
		for _, lb := range m.Buttons {
			msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: lb.Title, URL: lb.URL})
		}
	}
	optOut := segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: seg.ID}
	s.SignAction(&optOut)
	msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: OptOutTitle, Action: &optOut})
	msg.Note = WhyLine(seg)
	return msg
}

// WhyLine says why a recipient gets a broadcast to seg.
func WhyLine(seg *segmentbot.Segment) string {
	return "You get this because you joined " + seg.Name + "."
}
