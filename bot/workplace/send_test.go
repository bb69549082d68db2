package workplace

import (
	"context"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
)

func TestSend(t *testing.T) {
	msg := segmentbot.Message{Title: "Import finished", Text: "3 added"}
	tests := []struct {
		name   string
		to     *segmentbot.User
		wantTo string
	}{
		{"user who chatted is reached through the conversation reference",
			&segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "100", ConvRef: `{"recipient":{"id":"100"}}`}, "100"},
		{"user found by a lookup is reached by id",
			&segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "200"}, "200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, "sqlite")
			id, err := s.ch.Send(context.Background(), tt.to, msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "m_1" {
				t.Errorf("Send returned %q; want the Send API's message_id m_1", id)
			}
			assertReplies(t, s.graph.Sent(), tt.wantTo, "UPDATE", msg)
		})
	}
	t.Run("long message is sent in parts and the last id is returned", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		long := segmentbot.Message{Text: strings.Repeat("word ", 900)}
		id, err := s.ch.Send(context.Background(), &segmentbot.User{ExternalID: "100"}, long)
		if err != nil {
			t.Fatal(err)
		}
		sent := s.graph.Sent()
		if len(sent) < 2 || id != sent[len(sent)-1].ID {
			t.Fatalf("sent %d parts, returned %q; want several parts and the last id", len(sent), id)
		}
	})
	t.Run("names in a reply go out as typed, not Markdown-escaped", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		name := "R&D_team [EU] #1 <ops>"
		reply := segmentbot.Message{Title: "Segment created: " + name, Facts: []segmentbot.Fact{{Name: name, Value: "1 member"}}}
		if _, err := s.ch.Send(context.Background(), &segmentbot.User{ExternalID: "100"}, reply); err != nil {
			t.Fatal(err)
		}
		sent := s.graph.Sent()
		if len(sent) != 1 || sent[0].Message["text"] != "Segment created: "+name+"\n\n"+name+": 1 member" {
			t.Fatalf("sent %+v", sent)
		}
	})
	t.Run("Teams user is refused", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		_, err := s.ch.Send(context.Background(), &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:x"}, msg)
		if segmentbot.ErrorCode(err) != segmentbot.EINVALID || len(s.graph.Sent()) != 0 {
			t.Fatalf("Send = %v; want EINVALID and nothing sent", err)
		}
	})
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name string
		fail workplacetest.Error
		want string
	}{
		{"no matching user is not found", workplacetest.ErrNoMatchingUser, segmentbot.ENOTFOUND},
		{"person unavailable is gone", workplacetest.ErrPersonUnavailable, segmentbot.EGONE},
		{"missing permission is forbidden", workplacetest.ErrPermission, segmentbot.EFORBIDDEN},
		{"rejected token is unauthorized", workplacetest.ErrBadToken, segmentbot.EUNAUTHORIZED},
		{"rate limit that never lifts is an internal error", workplacetest.ErrCallsExceeded, segmentbot.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, "sqlite")
			s.graph.Fail["100"] = tt.fail
			_, err := s.ch.Send(context.Background(), &segmentbot.User{ExternalID: "100"}, segmentbot.Message{Text: "hi"})
			if got := segmentbot.ErrorCode(err); got != tt.want {
				t.Fatalf("Send error %v (code %q); want %q", err, got, tt.want)
			}
		})
	}
}

func TestSendRetriesRateLimits(t *testing.T) {
	tests := []struct {
		name     string
		throttle []workplacetest.Error
		wantSent int
	}{
		{"code 4, code 613 and HTTP 429 are retried", []workplacetest.Error{workplacetest.ErrTooManyCalls, workplacetest.ErrCallsExceeded, workplacetest.ErrThrottled}, 1},
		{"retries stop after four attempts", []workplacetest.Error{workplacetest.ErrThrottled, workplacetest.ErrThrottled, workplacetest.ErrThrottled, workplacetest.ErrThrottled}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, "sqlite")
			s.graph.Throttle = tt.throttle
			_, err := s.ch.Send(context.Background(), &segmentbot.User{ExternalID: "100"}, segmentbot.Message{Text: "hi"})
			if got := len(s.graph.Sent()); got != tt.wantSent || (err == nil) != (tt.wantSent == 1) {
				t.Fatalf("sent %d with error %v; want %d", got, err, tt.wantSent)
			}
			if got := len(s.graph.Requests()); got != maxAttempts {
				t.Fatalf("made %d calls; want %d", got, maxAttempts)
			}
		})
	}
}

func TestUpdateIsRefused(t *testing.T) {
	s := newSetup(t, "sqlite")
	err := s.ch.Update(context.Background(), &segmentbot.User{ExternalID: "100"}, "m_1", segmentbot.Message{Text: "50%"})
	if segmentbot.ErrorCode(err) != segmentbot.EINVALID || len(s.graph.Requests()) != 0 {
		t.Fatalf("Update = %v; want EINVALID without a call", err)
	}
}

func TestFixtureErrorsMap(t *testing.T) {
	tests := []struct {
		file       string
		status     int
		wantSend   string // code of the Send error
		wantLookup string // reason of a lookup failing with it
	}{
		{"send_error_no_matching_user.json", 400, segmentbot.ENOTFOUND, segmentbot.ReasonNotFound},
		{"send_error_person_unavailable.json", 400, segmentbot.EGONE, segmentbot.ReasonLookupError},
		{"graph_error_unknown_alias.json", 404, segmentbot.EINTERNAL, segmentbot.ReasonNotFound},
		{"graph_error_permission.json", 403, segmentbot.EFORBIDDEN, segmentbot.ReasonPermissionDenied},
		{"graph_error_permission_code10.json", 403, segmentbot.EFORBIDDEN, segmentbot.ReasonPermissionDenied},
		{"graph_error_envelope_meta_docs.json", 401, segmentbot.EUNAUTHORIZED, segmentbot.ReasonLookupError},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ge := decodeError(tt.status, fixture(t, tt.file))
			if ge.Code == 0 || ge.Message == "" {
				t.Fatalf("envelope not decoded: %+v", ge)
			}
			if got := segmentbot.ErrorCode(sendError(recipient{ID: "1"}, ge)); got != tt.wantSend {
				t.Errorf("send error code %q; want %q", got, tt.wantSend)
			}
			if got := lookupReason(ge); got != tt.wantLookup {
				t.Errorf("lookup reason %q; want %q", got, tt.wantLookup)
			}
		})
	}
}
