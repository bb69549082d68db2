package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/segmentbot/segmentbot/bot/teams/faketeams"
	"github.com/segmentbot/segmentbot/cards"
)

// transcript writes the demo as a chat log: who said what, and what the
// bot sent over the wire with its cards flattened to text.
type transcript struct {
	w     io.Writer
	names map[string]string // conversation id -> the person in it
	shown map[string]string // activity id -> what the transcript last showed of it
}

func (t *transcript) chapter(title string) {
	fmt.Fprintf(t.w, "\n== %s\n", title)
}

// note is the narrator: what happens outside the chat.
func (t *transcript) note(format string, args ...any) {
	fmt.Fprintf(t.w, "   (%s)\n", fmt.Sprintf(format, args...))
}

// user is something a person typed or did.
func (t *transcript) user(u faketeams.User, format string, args ...any) {
	fmt.Fprintf(t.w, "%s: %s\n", u.Name, fmt.Sprintf(format, args...))
}

// bot shows one activity the bot sent to the connector.
func (t *transcript) bot(s faketeams.Sent) {
	to := t.names[s.ConversationID]
	if to == "" {
		to = s.ConversationID
	}
	head := "Segment Bot → " + to
	if s.Method == http.MethodPut {
		head += " (card updated)"
	}
	lines := sentLines(s)
	// A progress card updated with nothing new is not worth a line.
	shown := strings.Join(lines, "\n")
	if t.shown[s.ActivityID] == shown {
		return
	}
	t.shown[s.ActivityID] = shown
	if len(lines) == 1 {
		fmt.Fprintf(t.w, "%s: %s\n", head, lines[0])
		return
	}
	fmt.Fprintf(t.w, "%s:\n", head)
	for _, l := range lines {
		fmt.Fprintf(t.w, "    %s\n", l)
	}
}

// sentLines is an activity as text: its text, then every card.
func sentLines(s faketeams.Sent) []string {
	var lines []string
	if txt := strings.TrimSpace(cards.UnescapeMarkdown(s.Text())); txt != "" {
		lines = append(lines, strings.Split(txt, "\n")...)
	}
	atts, _ := s.Activity["attachments"].([]any)
	for i, a := range atts {
		m, _ := a.(map[string]any)
		card, _ := m["content"].(map[string]any)
		if card == nil {
			continue
		}
		if len(atts) > 1 {
			lines = append(lines, fmt.Sprintf("— card %d of %d —", i+1, len(atts)))
		}
		lines = append(lines, cardLines(card)...)
	}
	if len(lines) == 0 {
		lines = []string{"(empty)"}
	}
	return lines
}

// cardLines flattens an Adaptive Card: the title between **, text blocks,
// facts as "name: value", and the buttons as [title] on the last line.
func cardLines(card map[string]any) []string {
	var lines, buttons []string
	eachElement(card, func(x map[string]any) {
		switch x["type"] {
		case "TextBlock":
			txt, _ := x["text"].(string)
			txt = strings.ReplaceAll(cards.UnescapeMarkdown(txt), "\n\n", "\n")
			if x["weight"] == "Bolder" {
				txt = "** " + txt + " **"
			}
			lines = append(lines, strings.Split(txt, "\n")...)
		case "FactSet":
			facts, _ := x["facts"].([]any)
			for _, f := range facts {
				fm, _ := f.(map[string]any)
				lines = append(lines, cards.UnescapeMarkdown(fmt.Sprintf("%v: %v", fm["title"], fm["value"])))
			}
		case "Action.Submit", "Action.Execute", "Action.OpenUrl":
			buttons = append(buttons, fmt.Sprintf("[%v]", x["title"]))
		}
	})
	if len(buttons) > 0 {
		lines = append(lines, strings.Join(buttons, " "))
	}
	return lines
}

// button finds the first button of a card titled title: its data for a
// bot action, or its URL for a link.
func button(card map[string]any, title string) (data map[string]any, url string) {
	eachElement(card, func(x map[string]any) {
		if x["title"] == title && data == nil && url == "" {
			data, _ = x["data"].(map[string]any)
			url, _ = x["url"].(string)
		}
	})
	return data, url
}

// eachElement calls fn for every element and action of a card, in
// reading order.
func eachElement(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			eachElement(e, fn)
		}
	case map[string]any:
		fn(x)
		for _, k := range []string{"body", "items", "columns", "actions"} {
			eachElement(x[k], fn)
		}
	}
}
