package workplace

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
)

func TestVerify(t *testing.T) {
	s := newSetup(t, "sqlite")
	tests := []struct {
		name, mode, token string
		ok                bool
	}{
		{"matching token echoes the challenge", "subscribe", testVerify, true},
		{"wrong token is forbidden", "subscribe", "guess", false},
		{"empty token is forbidden", "subscribe", "", false},
		{"other mode is forbidden", "unsubscribe", testVerify, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ch.Verify(tt.mode, tt.token, "1158201444")
			if tt.ok {
				if err != nil || got != "1158201444" {
					t.Fatalf("Verify = %q, %v; want the challenge", got, err)
				}
				return
			}
			if code := segmentbot.ErrorCode(err); code != segmentbot.EFORBIDDEN || got != "" {
				t.Fatalf("Verify = %q, %v (code %q); want EFORBIDDEN", got, err, code)
			}
		})
	}
}

// The vector of testdata/SOURCES.md: message_text.json signed with
// "test-secret", computed with OpenSSL.
const (
	vectorSHA256     = "sha256=27bd2580d9c5ecf3ef1f2a8380e57266e01962e03087c45b9810e0380728768f"
	vectorSHA256NoLF = "sha256=1ac9c1ab4184f0813fec1c45c69b2462ba06dc711c734fce24234b99f7f9c3d8"
	vectorSHA1       = "sha1=1706b8930331ecc2789122ba9e39282dc9b54b8f"
)

func TestWebhookSignature(t *testing.T) {
	body, err := os.ReadFile("testdata/message_text.json")
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(body, []byte(`"text": "text"`), []byte(`"text": "stop"`), 1)
	tests := []struct {
		name       string
		sig256     string
		sig1       string
		body       []byte
		wantCode   string // "" = accepted
		wantEvents int
	}{
		{"published sha256 vector is accepted", vectorSHA256, "", body, "", 1},
		{"sha256 in upper-case hex is accepted", "sha256=" + string(bytes.ToUpper([]byte(vectorSHA256[7:]))), "", body, "", 1},
		{"sha1 fallback is accepted without a sha256 header", "", vectorSHA1, body, "", 1},
		{"tampered body is forbidden", vectorSHA256, "", tampered, segmentbot.EFORBIDDEN, 0},
		{"signature over the body without its final newline is forbidden", vectorSHA256NoLF, "", body, segmentbot.EFORBIDDEN, 0},
		{"signature with another secret is forbidden", workplacetest.Sign("other-secret", body), "", body, segmentbot.EFORBIDDEN, 0},
		{"missing headers are forbidden", "", "", body, segmentbot.EFORBIDDEN, 0},
		{"wrong sha256 is not rescued by a valid sha1", "sha256=00", vectorSHA1, body, segmentbot.EFORBIDDEN, 0},
		{"sha1 value in the sha256 header is forbidden", vectorSHA1, "", body, segmentbot.EFORBIDDEN, 0},
		{"signature without its prefix is forbidden", vectorSHA256[7:], "", body, segmentbot.EFORBIDDEN, 0},
		{"malformed JSON with a valid signature is invalid", workplacetest.Sign(testSecret, []byte("{nope")), "", []byte("{nope"), segmentbot.EINVALID, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, "sqlite")
			err := s.ch.ProcessWebhook(context.Background(), tt.sig256, tt.sig1, tt.body)
			if got := segmentbot.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("ProcessWebhook error %v (code %q); want code %q", err, got, tt.wantCode)
			}
			if got := len(s.bot.Events()); got != tt.wantEvents {
				t.Fatalf("bot saw %d events; want %d", got, tt.wantEvents)
			}
			if tt.wantCode != "" && s.stored(t, "sender_id") != nil {
				t.Fatal("a rejected webhook changed the directory")
			}
		})
	}
}
