package cards

import (
	"strings"

	"github.com/segmentbot/segmentbot"
)

// ContentTypeAdaptive is the attachment content type of an Adaptive Card.
const ContentTypeAdaptive = "application/vnd.microsoft.card.adaptive"

// LayoutCarousel is the Bot Framework attachmentLayout of a carousel.
const LayoutCarousel = "carousel"

// maxCardActions is how many buttons a card shows in its action bar; Teams
// hides the rest, so longer lists go into the body as rows of ActionSets.
const maxCardActions = 5

// Attachment is one Bot Framework attachment.
type Attachment struct {
	ContentType string `json:"contentType"`
	Content     any    `json:"content"`
}

// Adaptive renders msg as one Adaptive Card 1.5. Its Carousel is ignored;
// use Attachments for a message that may have one. Plain parts are
// Markdown-escaped (see segmentbot.Message.Markdown). A message with a Card
// is that card with the Note and Buttons added (see segmentbot.CheckCard);
// should the Card not be one, the rest of msg is rendered instead, so
// callers that send it check it with segmentbot.CheckCard first.
//
// The data of an action button is the segmentbot.Action itself, so the
// activity's value (Action.Submit) or the invoke's action.data
// (Action.Execute) decodes straight back into a segmentbot.Action. With up to
// five buttons they form the card's actions; with more they go into the body
// as ActionSets of five, so Teams shows every one.
func Adaptive(msg segmentbot.Message) map[string]any {
	alt := msg.Title
	msg = plain(msg)
	if len(msg.Card) > 0 {
		if card, err := givenCard(msg); err == nil {
			return card
		}
	}
	body := []any{}
	if msg.Title != "" {
		body = append(body, map[string]any{
			"type": "TextBlock", "text": msg.Title, "weight": "Bolder", "size": "Large", "wrap": true,
		})
	}
	body = append(body, textBlocks(msg.Text)...)
	if msg.ImageURL != "" {
		image := map[string]any{"type": "Image", "url": msg.ImageURL}
		if alt != "" {
			image["altText"] = alt
		}
		body = append(body, image)
	}
	if len(msg.Facts) > 0 {
		facts := make([]any, 0, len(msg.Facts))
		for _, f := range msg.Facts {
			facts = append(facts, map[string]any{"title": f.Name, "value": f.Value})
		}
		body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	}
	actions := make([]any, 0, len(msg.Buttons))
	for _, b := range msg.Buttons {
		actions = append(actions, adaptiveAction(b, msg.Execute))
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.5",
	}
	if len(actions) > maxCardActions {
		for len(actions) > 0 {
			n := min(maxCardActions, len(actions))
			body = append(body, map[string]any{"type": "ActionSet", "actions": actions[:n]})
			actions = actions[n:]
		}
	}
	if msg.Note != "" {
		body = append(body, noteBlock(msg.Note))
	}
	card["body"] = body
	if len(actions) > 0 {
		card["actions"] = actions
	}
	return card
}

// textBlocks renders plain text as one wrapping TextBlock per paragraph
// (text between blank lines); single line breaks stay inside the block.
// Teams renders a lone "\n" as a space, so they become markdown hard breaks.
func textBlocks(text string) []any {
	var blocks []any
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		blocks = append(blocks, map[string]any{
			"type": "TextBlock", "text": strings.ReplaceAll(para, "\n", "\n\n"), "wrap": true,
		})
	}
	return blocks
}

func adaptiveAction(b segmentbot.Button, execute bool) map[string]any {
	switch {
	case b.Action != nil && execute:
		return map[string]any{"type": "Action.Execute", "title": b.Title, "verb": b.Action.Verb, "data": *b.Action}
	case b.Action != nil:
		return map[string]any{"type": "Action.Submit", "title": b.Title, "data": *b.Action}
	case b.URL != "":
		return map[string]any{"type": "Action.OpenUrl", "title": b.Title, "url": b.URL}
	default:
		return map[string]any{"type": "Action.Submit", "title": b.Title, "data": map[string]any{
			"msteams": map[string]any{"type": "imBack", "value": b.Say},
		}}
	}
}

// Attachments renders msg for a Bot Framework activity.
//
// A message without a Carousel gives layout "" and one Adaptive Card. A
// message with one gives layout "carousel" and a card per carousel entry (an
// entry's buttons are Action.Execute when either it or msg sets Execute);
// the outer Title, Text and Facts are then not in any card but in
// LeadText(msg), which the channel sends as the activity's text, and the
// outer ImageURL and Buttons form a last card if either is set.
func Attachments(msg segmentbot.Message) (layout string, atts []Attachment) {
	if len(msg.Carousel) == 0 {
		return "", []Attachment{{ContentType: ContentTypeAdaptive, Content: Adaptive(msg)}}
	}
	for _, c := range msg.Carousel {
		c.Carousel = nil
		c.Execute = c.Execute || msg.Execute
		atts = append(atts, Attachment{ContentType: ContentTypeAdaptive, Content: Adaptive(c)})
	}
	if msg.ImageURL != "" || len(msg.Buttons) > 0 {
		tail := segmentbot.Message{ImageURL: msg.ImageURL, Buttons: msg.Buttons, Execute: msg.Execute}
		atts = append(atts, Attachment{ContentType: ContentTypeAdaptive, Content: Adaptive(tail)})
	}
	return LayoutCarousel, atts
}

// LeadText is the text sent with a carousel: the outer Title, Text and Facts
// of msg, one per paragraph. It is "" for a message without a Carousel,
// whose card holds all of it.
func LeadText(msg segmentbot.Message) string {
	if len(msg.Carousel) == 0 {
		return ""
	}
	return leadText(plain(msg))
}

func leadText(msg segmentbot.Message) string {
	return joinNonEmpty("\n\n", msg.Title, msg.Text, strings.Join(factLines(msg.Facts), "\n"))
}
