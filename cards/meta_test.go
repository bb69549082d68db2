package cards_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// metaJSON renders msg with Meta and returns the messages as generic JSON.
func metaJSON(t *testing.T, msg segmentbot.Message) []any {
	t.Helper()
	msgs, _ := roundTrip(t, cards.Meta(msg)).([]any)
	return msgs
}

func TestMetaText(t *testing.T) {
	tests := []struct {
		name string
		msg  segmentbot.Message
		want []string
	}{
		{"empty message sends nothing", segmentbot.Message{}, nil},
		{"text alone", segmentbot.Message{Text: "Hello!"}, []string{"Hello!"}},
		{"title, text and facts fold into one text",
			segmentbot.Message{Title: "Import finished", Text: "Done.", Facts: []segmentbot.Fact{{Name: "Added", Value: "3"}, {Name: "Failed", Value: "1"}}},
			[]string{"Import finished\n\nDone.\n\nAdded: 3\nFailed: 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := metaJSON(t, tt.msg)
			var got []string
			for _, m := range msgs {
				got = append(got, path(t, m, "text").(string))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMetaLongTextIsSplitAtLineBreaks(t *testing.T) {
	line := strings.Repeat("é", 99) // 99 runes, 198 bytes
	var lines []string
	for range 30 {
		lines = append(lines, line)
	}
	msgs := metaJSON(t, segmentbot.Message{Text: strings.Join(lines, "\n")})
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	var back []string
	for _, m := range msgs {
		text := path(t, m, "text").(string)
		if n := utf8.RuneCountInString(text); n > cards.MetaMaxText {
			t.Errorf("text of %d runes", n)
		}
		if !utf8.ValidString(text) {
			t.Error("text split inside a rune")
		}
		back = append(back, text)
	}
	if strings.Join(back, "\n") != strings.Join(lines, "\n") {
		t.Error("split lost text")
	}
}

func TestMetaButtonTemplate(t *testing.T) {
	msgs := metaJSON(t, segmentbot.Message{
		Title: "Sales news",
		Text:  "Weekly news.",
		Buttons: []segmentbot.Button{
			{Title: "Join", Action: optIn(3)},
			{Title: "Read more", URL: "https://x.example/sales"},
			{Title: "Help", Say: "help"},
		},
	})
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	want := `{"attachment":{"payload":{"buttons":[` +
		`{"payload":"{\"verb\":\"opt_in\",\"segment_id\":3,\"sig\":\"c2lnLWluLQ\"}","title":"Join","type":"postback"},` +
		`{"title":"Read more","type":"web_url","url":"https://x.example/sales"},` +
		`{"payload":"{\"say\":\"help\"}","title":"Help","type":"postback"}],` +
		`"template_type":"button","text":"Sales news\n\nWeekly news."},"type":"template"}}`
	if got, _ := json.Marshal(msgs[0]); string(got) != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestMetaPostbackPayloadsDecode(t *testing.T) {
	action := segmentbot.Action{Verb: segmentbot.VerbPickSegment, SegmentID: 2, Segments: []int64{1}, Arg: "k/ü", Sig: "x"}
	msgs := metaJSON(t, segmentbot.Message{Text: "t", Buttons: []segmentbot.Button{
		{Title: "Pick", Action: &action}, {Title: "Say", Say: "list segments"},
	}})
	buttons := path(t, msgs[0], "attachment", "payload", "buttons").([]any)
	a, say, err := cards.DecodeMetaPayload(path(t, buttons[0], "payload").(string))
	if err != nil || say != "" || a == nil || !reflect.DeepEqual(*a, action) {
		t.Errorf("action button decodes to %+v, %q, %v", a, say, err)
	}
	a, say, err = cards.DecodeMetaPayload(path(t, buttons[1], "payload").(string))
	if err != nil || a != nil || say != "list segments" {
		t.Errorf("say button decodes to %+v, %q, %v", a, say, err)
	}
}

func TestMetaButtonTemplateLimits(t *testing.T) {
	var buttons []segmentbot.Button
	for i := range 7 {
		buttons = append(buttons, segmentbot.Button{Title: fmt.Sprintf("Segment number %d with a long name", i), Action: optIn(int64(i))})
	}
	long := strings.Repeat("word ", 300) // 1500 runes
	msgs := metaJSON(t, segmentbot.Message{Text: long, Buttons: buttons})

	var texts []string
	var templates []any
	for _, m := range msgs {
		if text, ok := path(t, m, "text").(string); ok {
			texts = append(texts, text)
			continue
		}
		templates = append(templates, path(t, m, "attachment", "payload"))
	}
	if len(templates) != 3 {
		t.Fatalf("%d button templates, want 3 (3+3+1 buttons)", len(templates))
	}
	seen := 0
	for i, tpl := range templates {
		text := path(t, tpl, "text").(string)
		if n := utf8.RuneCountInString(text); n == 0 || n > cards.MetaMaxTemplateText {
			t.Errorf("template %d text has %d runes", i, n)
		}
		if i == 0 {
			texts = append(texts, text)
		}
		bs := path(t, tpl, "buttons").([]any)
		if len(bs) > cards.MetaMaxButtons {
			t.Errorf("template %d has %d buttons", i, len(bs))
		}
		for _, b := range bs {
			title := path(t, b, "title").(string)
			if n := utf8.RuneCountInString(title); n > cards.MetaMaxButtonTitle {
				t.Errorf("button title %q has %d runes", title, n)
			}
			a, _, err := cards.DecodeMetaPayload(path(t, b, "payload").(string))
			if err != nil || a.SegmentID != int64(seen) {
				t.Errorf("button %d payload is %+v, %v", seen, a, err)
			}
			seen++
		}
	}
	if seen != 7 {
		t.Errorf("%d buttons sent, want 7", seen)
	}
	if got := strings.Join(texts, " "); got != long {
		t.Errorf("text not sent whole before the buttons: %d of %d runes", len(got), len(long))
	}
}

func TestMetaButtonTitleIsCutAtARune(t *testing.T) {
	msgs := metaJSON(t, segmentbot.Message{Text: "t", Buttons: []segmentbot.Button{{Title: strings.Repeat("ß", 25), Say: "x"}}})
	title := path(t, msgs[0], "attachment", "payload", "buttons", 0, "title").(string)
	if want := strings.Repeat("ß", 19) + "…"; title != want {
		t.Errorf("title %q, want %q", title, want)
	}
}

func TestMetaImageComesFirst(t *testing.T) {
	msgs := metaJSON(t, segmentbot.Message{Text: "t", ImageURL: "https://x.example/i.png"})
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want image then text", len(msgs))
	}
	if got := path(t, msgs[0], "attachment", "payload", "url"); got != "https://x.example/i.png" {
		t.Errorf("image url %v", got)
	}
	if got := path(t, msgs[1], "text"); got != "t" {
		t.Errorf("text %v", got)
	}
}

func TestMetaCarousel(t *testing.T) {
	msgs := metaJSON(t, carousel())
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want lead text and one generic template", len(msgs))
	}
	if got := path(t, msgs[0], "text"); got != "Pick your segments\n\nJoin the ones you want news from." {
		t.Errorf("lead text %q", got)
	}
	payload := path(t, msgs[1], "attachment", "payload")
	if got := path(t, payload, "template_type"); got != "generic" {
		t.Errorf("template_type %v", got)
	}
	want := `[{"buttons":[{"payload":"{\"verb\":\"opt_in\",\"segment_id\":3,\"sig\":\"c2lnLWluLQ\"}","title":"Join","type":"postback"}],` +
		`"image_url":"https://bot.example.com/sales.png","subtitle":"For sales.","title":"Sales news"},` +
		`{"buttons":[{"payload":"{\"verb\":\"opt_in\",\"segment_id\":4,\"sig\":\"c2lnLWluLQ\"}","title":"Join","type":"postback"},` +
		`{"payload":"{\"verb\":\"opt_out\",\"segment_id\":4,\"sig\":\"c2lnLW91dA\"}","title":"Leave","type":"postback"}],` +
		`"subtitle":"When things break.","title":"IT outages"}]`
	if got, _ := json.Marshal(path(t, payload, "elements")); string(got) != want {
		t.Errorf("elements\n got %s\nwant %s", got, want)
	}
}

func TestMetaCarouselLimits(t *testing.T) {
	var entries []segmentbot.Message
	for i := range 12 {
		entries = append(entries, segmentbot.Message{
			Title: strings.Repeat("T", 100), Text: strings.Repeat("s", 100), Facts: []segmentbot.Fact{{Name: "Members", Value: "1000"}},
			Buttons: []segmentbot.Button{{Title: "Join", Action: optIn(int64(i))}},
		})
	}
	// One entry with five buttons continues in a second element.
	entries[0].Buttons = append(entries[0].Buttons, make([]segmentbot.Button, 4)...)
	for i := 1; i < 5; i++ {
		entries[0].Buttons[i] = segmentbot.Button{Title: "b", Say: fmt.Sprint(i)}
	}
	msgs := metaJSON(t, segmentbot.Message{Carousel: entries})
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 generic templates (13 elements)", len(msgs))
	}
	var elements []any
	for i, m := range msgs {
		els := path(t, m, "attachment", "payload", "elements").([]any)
		if len(els) > cards.MetaMaxElements {
			t.Errorf("template %d has %d elements", i, len(els))
		}
		elements = append(elements, els...)
	}
	if len(elements) != 13 {
		t.Fatalf("%d elements, want 13", len(elements))
	}
	for i, e := range elements {
		for key, max := range map[string]int{"title": cards.MetaMaxElementTitle, "subtitle": cards.MetaMaxElementSubtitle} {
			if n := utf8.RuneCountInString(path(t, e, key).(string)); n > max {
				t.Errorf("element %d %s has %d runes", i, key, n)
			}
		}
		if n := len(path(t, e, "buttons").([]any)); n > cards.MetaMaxButtons {
			t.Errorf("element %d has %d buttons", i, n)
		}
	}
	if got := path(t, elements[1], "title"); got != path(t, elements[0], "title") {
		t.Errorf("continuation element title %v", got)
	}
	if got := path(t, elements[0], "subtitle"); !strings.HasSuffix(got.(string), "…") {
		t.Errorf("subtitle %q not marked as cut", got)
	}
}

func TestMetaCarouselEntryWithoutTitleUsesItsText(t *testing.T) {
	msgs := metaJSON(t, segmentbot.Message{Carousel: []segmentbot.Message{{Text: "Only text"}}})
	e := path(t, msgs[0], "attachment", "payload", "elements", 0)
	if path(t, e, "title") != "Only text" || path(t, e, "subtitle") != nil {
		t.Errorf("element %v", e)
	}
}

// Every key we send must be a key the Send API documents, as shown by the
// recorded request bodies in testdata (copies of shared/fixtures/workplace).
func TestMetaMatchesRecordedSendRequests(t *testing.T) {
	fixture := func(name string) any {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return path(t, v, "message")
	}
	tests := []struct {
		name    string
		fixture string
		msg     segmentbot.Message
	}{
		{"text", "send_text.json", segmentbot.Message{Text: "Hello!"}},
		{"button template", "send_button_template.json", reportCard()},
		{"button template with postbacks", "send_button_template.json", segmentCard(false)},
		{"generic template", "send_generic_template.json", segmentbot.Message{Carousel: carousel().Carousel}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range metaJSON(t, tt.msg) {
				if err := keysWithin(m, fixture(tt.fixture), "message"); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// keysWithin reports the first object key of got that ref lacks at the same
// place; each array element must fit one of the fixture's elements.
func keysWithin(got, ref any, at string) error {
	switch g := got.(type) {
	case map[string]any:
		r, ok := ref.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: object where the fixture has %T", at, ref)
		}
		for k, v := range g {
			rv, ok := r[k]
			if !ok {
				return fmt.Errorf("%s.%s: not in the fixture", at, k)
			}
			if err := keysWithin(v, rv, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		r, ok := ref.([]any)
		if !ok || len(r) == 0 {
			return fmt.Errorf("%s: array where the fixture has %T", at, ref)
		}
		for i, v := range g {
			var err error
			for _, rv := range r {
				if err = keysWithin(v, rv, fmt.Sprintf("%s[%d]", at, i)); err == nil {
					break
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
