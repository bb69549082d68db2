package cards

import (
	"strings"

	"github.com/segmentbot/segmentbot"
)

// Text renders msg as plain text for transcripts and logs: the title, the
// text, the facts as "Name: Value" lines, the image URL, the buttons as
// "[Title]" labels on one line, the note, then each carousel card the same way after
// a "---" line.
func Text(msg segmentbot.Message) string {
	parts := []string{plainText(msg)}
	for _, c := range msg.Carousel {
		parts = append(parts, "---\n"+plainText(c))
	}
	return joinNonEmpty("\n", parts...)
}

func plainText(msg segmentbot.Message) string {
	labels := make([]string, 0, len(msg.Buttons))
	for _, b := range msg.Buttons {
		labels = append(labels, "["+b.Title+"]")
	}
	lines := []string{msg.Title, msg.Text}
	lines = append(lines, factLines(msg.Facts)...)
	lines = append(lines, msg.ImageURL, strings.Join(labels, " "), msg.Note)
	return joinNonEmpty("\n", lines...)
}
