package workplacetest_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
)

// sendFixture reads the "message" of a recorded Send API request body.
func sendFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var req struct{ Message map[string]any }
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req.Message
}

func TestCheckMessageAcceptsRecordedSendRequests(t *testing.T) {
	for _, name := range []string{"send_text.json", "send_button_template.json", "send_generic_template.json", "send_quick_replies.json", "send_file_attachment.json"} {
		t.Run(name, func(t *testing.T) {
			if err := workplacetest.CheckMessage(sendFixture(t, name)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCheckMessageRefusesWhatTheSendAPIRefuses(t *testing.T) {
	button := func(b map[string]any) map[string]any {
		return map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{
			"template_type": "button", "text": "Pick one", "buttons": []any{b}}}}
	}
	tests := []struct {
		name string
		msg  map[string]any
		want string
	}{
		{"an empty message", map[string]any{}, "exactly one"},
		{"both text and attachment", map[string]any{"text": "hi", "attachment": map[string]any{"type": "file"}}, "exactly one"},
		{"a text over 2000 characters", map[string]any{"text": strings.Repeat("x", 2001)}, "2001 characters"},
		{"a button template without buttons", map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{
			"template_type": "button", "text": "Pick one"}}}, "0 buttons"},
		{"a postback without a payload", button(map[string]any{"type": "postback", "title": "Go"}), "without a payload"},
		{"a web_url without a url", button(map[string]any{"type": "web_url", "title": "Open"}), "without a url"},
		{"a title over 20 characters", button(map[string]any{"type": "postback", "title": "Download list of users", "payload": "p"}), "button title"},
		{"an unknown template type", map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{"template_type": "list"}}}, "unknown template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := workplacetest.CheckMessage(tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckMessage = %v; want an error about %q", err, tt.want)
			}
		})
	}
}

func TestSentTextAndButtonReadTemplates(t *testing.T) {
	s := workplacetest.Sent{Message: sendFixture(t, "send_generic_template.json")}
	for _, want := range []string{"Welcome!", "We have the right hat for everyone.", "View Website", "Start Chatting"} {
		if !strings.Contains(s.Text(), want) {
			t.Errorf("Text() = %q; want %q in it", s.Text(), want)
		}
	}
	if b := s.Button("Start Chatting"); b == nil || b["payload"] != "DEVELOPER_DEFINED_PAYLOAD" {
		t.Errorf("Button(Start Chatting) = %v", b)
	}
	if b := s.Button("No such button"); b != nil {
		t.Errorf("Button(No such button) = %v; want nil", b)
	}
}
