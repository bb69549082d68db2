package cards

import (
	"encoding/json"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// Limits of the Messenger Platform Send API (Workplace used the same).
const (
	MetaMaxText            = 2000 // a text message
	MetaMaxTemplateText    = 640  // the text of a button template
	MetaMaxButtons         = 3    // buttons of a button template or of a generic element
	MetaMaxButtonTitle     = 20   // a button's title
	MetaMaxElements        = 10   // elements of a generic template
	MetaMaxElementTitle    = 80   // an element's title
	MetaMaxElementSubtitle = 80   // an element's subtitle
)

// moreText is the text of the button templates that carry the buttons after
// the first three: the Send API requires a text.
const moreText = "More options:"

// Meta renders msg as Send API message objects, in sending order, each the
// value of the request's "message" field.
//
//   - Title, Text (as plain text when it is Markdown), Facts ("Name:
//     Value" lines) and Note form one text.
//     Without buttons it goes out as text messages of at most 2000
//     characters. A whole Card is Teams' only: Title and Text stand in.
//   - ImageURL comes first as an image attachment; with buttons (and no
//     Carousel) the message is instead its text, then one generic template
//     of the title, the Note, the image and the buttons.
//   - Buttons make button templates of three buttons each: the text (its
//     last 640 characters or fewer; anything before is sent as text first)
//     with the first three, "More options:" with each next three. A
//     Button.Action is a postback whose payload is the Action's JSON, a
//     Button.URL a web_url button, and a Button.Say a postback whose payload
//     is {"say":"..."}. DecodeMetaPayload reads both payloads back.
//   - A Carousel gives generic templates of at most ten elements after the
//     outer message; each card is an element (title and subtitle cut to 80
//     characters, image_url, up to three buttons; a card with more buttons
//     continues in the next element under the same title).
//
// Meta renders no Markdown in these texts: plain parts go out as typed,
// never Markdown-escaped (a reader would see the backslashes), and a
// Markdown Text as the plain text a reader would see (see
// segmentbot.Message.Markdown). Every cut is at a rune boundary; titles
// cut short end with "…". Payloads are never cut (that would break the
// signature): the Send API takes at most 1000 characters, so an Action's
// Arg must stay short.
func Meta(msg segmentbot.Message) []map[string]any {
	msg = unmarked(msg)
	var out []map[string]any
	if msg.ImageURL != "" && len(msg.Buttons) > 0 && len(msg.Carousel) == 0 {
		return imageWithButtons(msg)
	}
	if msg.ImageURL != "" {
		out = append(out, map[string]any{"attachment": map[string]any{
			"type": "image", "payload": map[string]any{"url": msg.ImageURL, "is_reusable": true},
		}})
	}
	text := joinNonEmpty("\n\n", leadText(msg), msg.Note)
	if len(msg.Buttons) == 0 {
		if text != "" {
			for _, piece := range split(text, MetaMaxText) {
				out = append(out, map[string]any{"text": piece})
			}
		}
	} else {
		out = append(out, buttonTemplates(text, msg.Buttons)...)
	}
	return append(out, genericTemplates(msg.Carousel)...)
}

// unmarked returns msg, and its carousel's cards, with Markdown Text
// turned into the plain text a reader would see.
func unmarked(msg segmentbot.Message) segmentbot.Message {
	if msg.Markdown {
		msg.Text, msg.Markdown = plainMarkdown(msg.Text), false
	}
	msg.Carousel = eachCard(msg.Carousel, unmarked)
	return msg
}

// imageWithButtons renders a message with an image and buttons (a
// broadcast with a picture) as its text, when it has one, then one generic
// template: the title (or else the Note) as the element's title, the Note
// under it, the image and the buttons. A whole Card is not Meta's: Title
// and Text stand in for it.
func imageWithButtons(msg segmentbot.Message) []map[string]any {
	var out []map[string]any
	if text := joinNonEmpty("\n\n", msg.Text, strings.Join(factLines(msg.Facts), "\n")); text != "" {
		for _, piece := range split(text, MetaMaxText) {
			out = append(out, map[string]any{"text": piece})
		}
	}
	element := segmentbot.Message{Title: msg.Title, Text: msg.Note, ImageURL: msg.ImageURL, Buttons: msg.Buttons}
	if element.Title == "" {
		element.Title, element.Text = msg.Note, ""
	}
	return append(out, genericTemplates([]segmentbot.Message{element})...)
}

func buttonTemplates(text string, buttons []segmentbot.Button) []map[string]any {
	var out []map[string]any
	if text == "" {
		text = moreText
	}
	pieces := split(text, MetaMaxTemplateText)
	for _, piece := range pieces[:len(pieces)-1] {
		out = append(out, map[string]any{"text": piece})
	}
	text = pieces[len(pieces)-1]
	for len(buttons) > 0 {
		n := min(MetaMaxButtons, len(buttons))
		out = append(out, template(map[string]any{
			"template_type": "button", "text": text, "buttons": metaButtons(buttons[:n]),
		}))
		buttons, text = buttons[n:], moreText
	}
	return out
}

func genericTemplates(carousel []segmentbot.Message) []map[string]any {
	var elements []any
	for _, c := range carousel {
		elements = append(elements, genericElements(c)...)
	}
	var out []map[string]any
	for len(elements) > 0 {
		n := min(MetaMaxElements, len(elements))
		out = append(out, template(map[string]any{"template_type": "generic", "elements": elements[:n]}))
		elements = elements[n:]
	}
	return out
}

// genericElements renders one carousel card as one element, or several when
// it has more buttons than an element holds.
func genericElements(c segmentbot.Message) []any {
	title, subtitle := c.Title, joinNonEmpty("\n", c.Text, strings.Join(factLines(c.Facts), "\n"))
	if title == "" {
		// The Send API requires a title; promote the text.
		title, subtitle = subtitle, ""
	}
	if title == "" {
		title = "•"
	}
	element := func() map[string]any {
		e := map[string]any{"title": truncate(title, MetaMaxElementTitle)}
		if subtitle != "" {
			e["subtitle"] = truncate(subtitle, MetaMaxElementSubtitle)
		}
		if c.ImageURL != "" {
			e["image_url"] = c.ImageURL
		}
		return e
	}
	if len(c.Buttons) == 0 {
		return []any{element()}
	}
	var out []any
	for buttons := c.Buttons; len(buttons) > 0; {
		n := min(MetaMaxButtons, len(buttons))
		e := element()
		e["buttons"] = metaButtons(buttons[:n])
		out = append(out, e)
		buttons = buttons[n:]
	}
	return out
}

func template(payload map[string]any) map[string]any {
	return map[string]any{"attachment": map[string]any{"type": "template", "payload": payload}}
}

func metaButtons(buttons []segmentbot.Button) []any {
	out := make([]any, 0, len(buttons))
	for _, b := range buttons {
		title := truncate(b.Title, MetaMaxButtonTitle)
		if b.URL != "" && b.Action == nil {
			out = append(out, map[string]any{"type": "web_url", "title": title, "url": b.URL})
			continue
		}
		out = append(out, map[string]any{"type": "postback", "title": title, "payload": metaPayload(b)})
	}
	return out
}

// metaPayload is the postback payload of an action or say button.
func metaPayload(b segmentbot.Button) string {
	var v any = sayPayload{Say: b.Say}
	if b.Action != nil {
		v = b.Action
	}
	raw, err := json.Marshal(v)
	if err != nil {
		// Both types are plain structs of strings and integers.
		panic("cards: marshal postback payload: " + err.Error())
	}
	return string(raw)
}
