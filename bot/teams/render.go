package teams

import (
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// Invoke response types (adaptiveCard/action).
const (
	invokeTypeCard    = "application/vnd.microsoft.card.adaptive"
	invokeTypeMessage = "application/vnd.microsoft.activity.message"
)

// InvokeResponse is the body of the HTTP answer to an adaptiveCard/action
// invoke.
type InvokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

// messageActivity renders msg as a message activity to the conversation
// of ref.
func messageActivity(ref convRef, msg segmentbot.Message) schema.Activity {
	if plainText(msg) {
		return schema.Activity{Type: schema.Message, ServiceURL: ref.ServiceURL,
			Conversation: schema.ConversationAccount{ID: ref.ConversationID}, Text: msg.Text, TextFormat: "plain"}
	}
	layout, atts := cards.Attachments(msg)
	a := schema.Activity{
		Type:             schema.Message,
		ServiceURL:       ref.ServiceURL,
		Conversation:     schema.ConversationAccount{ID: ref.ConversationID},
		Text:             cards.LeadText(msg),
		AttachmentLayout: schema.AttachmentLayoutTypes(layout),
		Summary:          msg.Title,
	}
	for _, att := range atts {
		a.Attachments = append(a.Attachments, schema.Attachment{ContentType: att.ContentType, Content: att.Content})
	}
	return a
}

// invokeResponse is the answer to an Action.Execute: the refreshed card, or
// a short text when the bot has no card to show.
func invokeResponse(resp *segmentbot.Response) InvokeResponse {
	if resp != nil && resp.Card != nil {
		return InvokeResponse{StatusCode: 200, Type: invokeTypeCard, Value: cards.Adaptive(*resp.Card)}
	}
	text := ""
	if resp != nil && len(resp.Messages) > 0 {
		text = cards.Text(resp.Messages[0])
	}
	return InvokeResponse{StatusCode: 200, Type: invokeTypeMessage, Value: text}
}

// plainText reports whether msg is one line of plain text, which reads
// better as a chat message than as a card. Text of several lines, or
// Markdown (the italic _placeholders_ of a usage hint), goes in a card:
// Agents Playground runs the lines of a plain text message together (and
// Teams' Markdown takes a lone line break for a space), and a plain
// message shows Markdown as typed; a card's text blocks keep each line
// (see cards.Adaptive) and render the Markdown.
func plainText(msg segmentbot.Message) bool {
	return msg.Title == "" && msg.ImageURL == "" && len(msg.Facts) == 0 && len(msg.Buttons) == 0 && len(msg.Carousel) == 0 &&
		len(msg.Card) == 0 && msg.Note == "" && !msg.Markdown && !strings.Contains(msg.Text, "\n")
}
