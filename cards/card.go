package cards

import (
	"bytes"
	"encoding/json"

	"github.com/segmentbot/segmentbot"
)

// MaxCardBytes is the largest given card accepted: Teams refuses a
// message over about 28 KB, and the Opt out button and the why-line are
// added to the card.
const MaxCardBytes = 24 << 10

// CheckCard reports whether raw is a whole Adaptive Card that can carry a
// broadcast: a JSON object of type "AdaptiveCard", at most MaxCardBytes,
// whose body and actions, when present, are lists (segmentbot appends to
// both). Anything else is an EINVALID *segmentbot.Error saying what is
// wrong.
func CheckCard(raw json.RawMessage) error {
	_, err := decodeCard(raw)
	return err
}

func decodeCard(raw json.RawMessage) (map[string]any, error) {
	if len(raw) > MaxCardBytes {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "The card is %d KB; at most %d KB fit in a Teams message.", (len(raw)+1023)>>10, MaxCardBytes>>10)
	}
	var card map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber() // keep the numbers of the given card as written
	if err := d.Decode(&card); err != nil || card == nil || d.More() {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "The card is not a JSON object.")
	}
	if card["type"] != "AdaptiveCard" {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, `The card's "type" must be "AdaptiveCard".`)
	}
	for _, list := range []string{"body", "actions"} {
		if v, ok := card[list]; ok {
			if _, isList := v.([]any); !isList {
				return nil, segmentbot.Errorf(segmentbot.EINVALID, "The card's %q must be a list.", list)
			}
		}
	}
	return card, nil
}

// givenCard renders a message that carries a whole Adaptive Card: the card
// as given, with msg's Note appended to its body and msg's Buttons to its
// actions (as an ActionSet in the body when the action bar would hold more
// than five). Title, Text, ImageURL and Facts are the fallback of other
// channels and are not added. It fails as CheckCard does.
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
