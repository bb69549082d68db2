package cards

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/segmentbot/segmentbot"
)

// decodeCard decodes a given card once segmentbot.CheckCard accepts it,
// keeping its numbers as written.
func decodeCard(raw json.RawMessage) (map[string]any, error) {
	if err := segmentbot.CheckCard(raw); err != nil {
		return nil, err
	}
	var card map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&card); err != nil {
		return nil, fmt.Errorf("cards: decode a checked card: %w", err)
	}
	return card, nil
}

// givenCard renders a message that carries a whole Adaptive Card: the card
// as given, with msg's Note appended to its body and msg's Buttons to its
// actions (as an ActionSet in the body when the action bar would hold more
// than five). Title, Text, ImageURL and Facts are the fallback of other
// channels and are not added. It fails as segmentbot.CheckCard does.
func givenCard(msg segmentbot.Message) (map[string]any, error) {
	card, err := decodeCard(msg.Card)
	if err != nil {
		return nil, err
	}
	body, _ := card["body"].([]any)
	actions, _ := card["actions"].([]any)
	ours := make([]any, 0, len(msg.Buttons))
	for _, b := range msg.Buttons {
		ours = append(ours, adaptiveAction(b, msg.Execute))
	}
	if len(actions)+len(ours) > maxCardActions {
		body = append(body, map[string]any{"type": "ActionSet", "actions": ours})
	} else {
		actions = append(actions, ours...)
	}
	if msg.Note != "" {
		body = append(body, noteBlock(msg.Note))
	}
	card["body"] = body
	if len(actions) > 0 {
		card["actions"] = actions
	}
	return card, nil
}

// noteBlock is the small closing line of a card.
func noteBlock(note string) map[string]any {
	return map[string]any{"type": "TextBlock", "text": note, "wrap": true, "isSubtle": true, "size": "Small"}
}
