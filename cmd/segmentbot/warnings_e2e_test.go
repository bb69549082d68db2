package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// TestALateRESTUploadWarnsTheConfiguredAdmins is issue 14.14 (DESIGN §6):
// when neither the broadcast nor the large import came from a chat user,
// every admin in SEGMENTBOT_ADMINS the bot can reach is warned, and GET
// /v1/warnings lists the warning. An admin who never talked to the bot
// cannot be reached and is skipped.
func TestALateRESTUploadWarnsTheConfiguredAdmins(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		silent := teamstest.NewUser("Silent Admin")
		s := startService(t, dsn, map[string]string{
			"SEGMENTBOT_LARGE_UPLOAD": "3",
			"SEGMENTBOT_ADMINS":       teamstest.NewUser("Ada Admin").AADObjectID + "," + silent.AADObjectID,
		})
		s.say(s.admin, "help") // Ada has a conversation with the bot; Silent has none

		var seg struct{ ID int64 }
		if code := s.api("POST", "/v1/segments", map[string]string{"name": "All staff"}, &seg); code != http.StatusCreated {
			t.Fatalf("create segment: %d", code)
		}
		at := time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
		var br struct{ ID int64 }
		if code := s.api("POST", "/v1/broadcasts", map[string]any{"segment_id": seg.ID, "name": "Town hall", "scheduled_at": at}, &br); code != http.StatusCreated {
			t.Fatalf("create broadcast: %d", code)
		}
		before := len(s.kit.Sent())
		csv := "a@contoso.com\nb@contoso.com\nc@contoso.com\n"
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/v1/segments/%d/imports", s.srv.URL, seg.ID), bytes.NewReader([]byte(csv)))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var imp struct{ ID int64 }
		if err := json.Unmarshal(body, &imp); err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("import: %d %s", resp.StatusCode, body)
		}
		s.waitImport(imp.ID)

		warned := s.waitFor("Large upload close to a broadcast")
		if warned.ConversationID != teamstest.PersonalConversation(s.admin) {
			t.Fatalf("warning sent to %s, want Ada's chat", warned.ConversationID)
		}
		wantIn(t, replyText(warned), "Town hall", "3 rows")
		var list struct {
			Warnings []struct {
				BroadcastID int64 `json:"broadcast_id"`
				ImportID    int64 `json:"import_id"`
				UserID      int64 `json:"user_id"`
			}
		}
		for deadline := time.Now().Add(5 * time.Second); len(list.Warnings) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			s.api("GET", "/v1/warnings", nil, &list)
		}
		if len(list.Warnings) != 1 || list.Warnings[0].BroadcastID != br.ID || list.Warnings[0].ImportID != imp.ID {
			t.Fatalf("GET /v1/warnings = %+v, want the one warning to Ada", list.Warnings)
		}
		var n int
		for _, sent := range s.kit.Sent()[before:] {
			if strings.Contains(replyText(sent), "Large upload") {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d warnings sent, want 1 (to Ada only)", n)
		}
	})
}
