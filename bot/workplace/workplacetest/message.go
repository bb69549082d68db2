package workplacetest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text is what the user reads in the message: its text, a template's text,
// and the titles and subtitles of its buttons and elements, one a line.
func (s Sent) Text() string { return MessageText(s.Message) }

// Button returns the button titled title in the message's template, or nil.
func (s Sent) Button(title string) map[string]any { return FindButton(s.Message, title) }

// MessageText is the text of a Send API message object (see Sent.Text).
func MessageText(msg map[string]any) string {
	var sb strings.Builder
	line := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			sb.WriteString(s + "\n")
		}
	}
	line(msg["text"])
	payload := templatePayload(msg)
	line(payload["text"])
	for _, b := range buttons(payload) {
		line(b["title"])
	}
	for _, e := range list(payload["elements"]) {
		line(e["title"])
		line(e["subtitle"])
		for _, b := range list(e["buttons"]) {
			line(b["title"])
		}
	}
	return sb.String()
}

// FindButton returns the button titled title of a Send API message
// object's button or generic template, or nil.
func FindButton(msg map[string]any, title string) map[string]any {
	payload := templatePayload(msg)
	all := buttons(payload)
	for _, e := range list(payload["elements"]) {
		all = append(all, list(e["buttons"])...)
	}
	for _, b := range all {
		if b["title"] == title {
			return b
		}
	}
	return nil
}

// CheckMessage reports how a Send API message object breaks the Send API's
// rules, or nil: exactly one of text and attachment; a template of a known
// type; button templates with a text and one to three buttons; postback
// and phone_number buttons with a payload, web_url buttons with a url,
// titles of at most 20 characters.
func CheckMessage(msg map[string]any) error {
	text, hasText := msg["text"].(string)
	att, hasAtt := msg["attachment"].(map[string]any)
	switch {
	case hasText == hasAtt:
		return fmt.Errorf("want exactly one of text and attachment in %v", msg)
	case hasText && (text == "" || utf8.RuneCountInString(text) > 2000):
		return fmt.Errorf("text of %d characters", utf8.RuneCountInString(text))
	case hasText:
		return nil
	}
	if att["type"] != "template" {
		return nil // image and file attachments carry a payload url only
	}
	payload := templatePayload(msg)
	switch payload["template_type"] {
	case "button":
		if t, _ := payload["text"].(string); t == "" || utf8.RuneCountInString(t) > 640 {
			return fmt.Errorf("button template text %q", t)
		}
		return checkButtons(buttons(payload), 1)
	case "generic":
		for _, e := range list(payload["elements"]) {
			if t, _ := e["title"].(string); t == "" {
				return fmt.Errorf("generic element without a title: %v", e)
			}
			if err := checkButtons(list(e["buttons"]), 0); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown template type %v", payload["template_type"])
}

func checkButtons(bs []map[string]any, least int) error {
	if len(bs) < least || len(bs) > 3 {
		return fmt.Errorf("%d buttons; want %d to 3", len(bs), least)
	}
	for _, b := range bs {
		title, _ := b["title"].(string)
		if title == "" || utf8.RuneCountInString(title) > 20 {
			return fmt.Errorf("button title %q", title)
		}
		switch b["type"] {
		case "postback", "phone_number":
			if p, _ := b["payload"].(string); p == "" {
				return fmt.Errorf("%v button %q without a payload", b["type"], title)
			}
		case "web_url":
			if u, _ := b["url"].(string); u == "" {
				return fmt.Errorf("web_url button %q without a url", title)
			}
		default:
			return fmt.Errorf("button %q of type %v", title, b["type"])
		}
	}
	return nil
}

func templatePayload(msg map[string]any) map[string]any {
	att, _ := msg["attachment"].(map[string]any)
	if att["type"] != "template" {
		return nil
	}
	payload, _ := att["payload"].(map[string]any)
	return payload
}

func buttons(payload map[string]any) []map[string]any { return list(payload["buttons"]) }

// list reads a JSON array of objects, as decoded into any.
func list(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, item := range items {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
