package cards_test

import (
	"reflect"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

func TestDecodeMetaPayload(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		action  *segmentbot.Action
		say     string
		code    string
	}{
		{"action", `{"verb":"opt_in","segment_id":3,"sig":"abc"}`,
			&segmentbot.Action{Verb: "opt_in", SegmentID: 3, Sig: "abc"}, "", ""},
		{"action with every field", `{"verb":"resubscribe","segment_id":1,"segments":[1,2],"arg":"x","sig":"s"}`,
			&segmentbot.Action{Verb: "resubscribe", SegmentID: 1, Segments: []int64{1, 2}, Arg: "x", Sig: "s"}, "", ""},
		{"say", `{"say":"list segments"}`, nil, "list segments", ""},
		{"empty say is still a say", `{"say":""}`, nil, "", ""},
		{"plain string payload", `GET_STARTED`, nil, "", segmentbot.EINVALID},
		{"empty payload", ``, nil, "", segmentbot.EINVALID},
		{"object of neither shape", `{"foo":1}`, nil, "", segmentbot.EINVALID},
		{"both say and verb", `{"say":"x","verb":"opt_in"}`, nil, "", segmentbot.EINVALID},
		{"verb of the wrong type", `{"verb":3}`, nil, "", segmentbot.EINVALID},
		{"segment id of the wrong type", `{"verb":"opt_in","segment_id":"3"}`, nil, "", segmentbot.EINVALID},
		{"JSON array", `[1]`, nil, "", segmentbot.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action, say, err := cards.DecodeMetaPayload(tt.payload)
			if code := segmentbot.ErrorCode(err); code != tt.code {
				t.Fatalf("code %q (%v), want %q", code, err, tt.code)
			}
			if !reflect.DeepEqual(action, tt.action) || say != tt.say {
				t.Errorf("got %+v, %q; want %+v, %q", action, say, tt.action, tt.say)
			}
		})
	}
}
