// Package cards renders the neutral segmentbot.Message for each channel: an
// Adaptive Card 1.5 for Teams, Send API message objects (text, button and
// generic templates) for Workplace/Messenger, and plain text for transcripts
// and logs. It also decodes the Meta postback payloads it produced.
//
// It must not decide what a message says, sign actions (the bot hands in
// actions already signed by package signer) or send anything: it only maps
// one format onto another, keeping each channel's limits.
package cards

import (
	"strings"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

// plain returns msg with its plain parts escaped for a Markdown renderer
// (Teams text blocks and activity text; Meta renders none, see Meta):
// Title, Facts, and Text unless msg.Markdown; the carousel's cards
// likewise.
func plain(msg segmentbot.Message) segmentbot.Message {
	msg.Title = segmentbot.EscapeMarkdown(msg.Title)
	msg.Note = segmentbot.EscapeMarkdown(msg.Note)
	if !msg.Markdown {
		msg.Text = segmentbot.EscapeMarkdown(msg.Text)
	}
	if len(msg.Facts) > 0 {
		facts := make([]segmentbot.Fact, len(msg.Facts))
		for i, f := range msg.Facts {
			facts[i] = segmentbot.Fact{Name: segmentbot.EscapeMarkdown(f.Name), Value: segmentbot.EscapeMarkdown(f.Value)}
		}
		msg.Facts = facts
	}
	msg.Carousel = eachCard(msg.Carousel, plain)
	return msg
}

// eachCard returns a carousel's cards passed through fn, in a new slice
// (the caller's message is never changed).
func eachCard(carousel []segmentbot.Message, fn func(segmentbot.Message) segmentbot.Message) []segmentbot.Message {
	if len(carousel) == 0 {
		return carousel
	}
	out := make([]segmentbot.Message, len(carousel))
	for i, c := range carousel {
		out[i] = fn(c)
	}
	return out
}

// factLines renders facts as "Name: Value" lines.
func factLines(facts []segmentbot.Fact) []string {
	lines := make([]string, 0, len(facts))
	for _, f := range facts {
		lines = append(lines, f.Name+": "+f.Value)
	}
	return lines
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// truncate shortens s to at most max runes, ending it with "…" when it was
// cut. It never splits a rune, and it trims the space left before the cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	return strings.TrimRight(s[:runeOffset(s, max-1)], " \n\t") + "…"
}

// split cuts s into pieces of at most max runes, preferring to cut after a
// line break, then after a space, and only then inside a word. No rune is
// split and nothing is lost but the whitespace at the cuts.
func split(s string, max int) []string {
	var pieces []string
	for utf8.RuneCountInString(s) > max {
		end := runeOffset(s, max)
		cut := strings.LastIndexByte(s[:end], '\n')
		if cut <= 0 {
			cut = strings.LastIndexByte(s[:end], ' ')
		}
		if cut <= 0 {
			cut = end
		}
		pieces = append(pieces, strings.TrimRight(s[:cut], " \n"))
		s = strings.TrimLeft(s[cut:], " \n")
	}
	if s != "" || len(pieces) == 0 {
		pieces = append(pieces, s)
	}
	return pieces
}

// runeOffset is the byte offset of the n-th rune of s (len(s) if s is shorter).
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
