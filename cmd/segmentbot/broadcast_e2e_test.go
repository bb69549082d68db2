package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestLargeUploadCloseToABroadcastWarnsTheAdminOnce(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, map[string]string{"SEGMENTBOT_GRAPH_RATE": "10000"})
		s.say(s.admin, "create segment Sales")
		wantIn(t, replyText(s.say(s.admin, "schedule Sales at in 3 hours as Weekly news")), "Broadcast scheduled: Weekly news")

		rows := []string{"email"}
		for i := 0; i < 2500; i++ {
			rows = append(rows, fmt.Sprintf("person%04d@contoso.com", i))
		}
		files := fileHost(t, map[string]string{"/big.csv": strings.Join(rows, "\n")})
		if code, _ := s.post(s.kit.File(s.admin, files.URL+"/big.csv", "big.csv")); code != 200 {
			t.Fatal("file upload refused")
		}
		// The file's message named no segment: pick it on the card.
		ask := s.waitFor("Which segment")
		s.expectReply(s.kit.Submit(s.admin, action(t, ask.Card(), "Sales")))

		warning := s.waitFor("Weekly news")
		for !strings.Contains(replyText(warning), "2,500") {
			warning = s.waitFor("least 24 hours")
		}
		wantIn(t, replyText(warning), "Sales", "2,500", "Open import report")

		var warnings []segmentbot.Warning
		var body struct{ Warnings []segmentbot.Warning }
		deadline := time.Now().Add(5 * time.Second)
		for len(warnings) == 0 || warnings[0].Status != segmentbot.WarningSent {
			if time.Now().After(deadline) {
				t.Fatalf("warning not recorded as sent: %+v", warnings)
			}
			s.api("GET", "/v1/warnings", nil, &body)
			warnings = body.Warnings
			time.Sleep(20 * time.Millisecond)
		}
		if len(warnings) != 1 {
			t.Fatalf("want one warning (author and uploader are the same admin), got %d", len(warnings))
		}
		if err := s.app.sched.CheckNow(t.Context()); err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, m := range s.kit.Sent() {
			if strings.Contains(replyText(m), "least 24 hours") {
				sent++
			}
		}
		if sent != 1 {
			t.Fatalf("the warning was sent %d times", sent)
		}
		wantIn(t, replyText(s.say(s.admin, "broadcasts")), "Weekly news", "1 late-upload warning")
		_, metrics := s.get(s.srv.URL + "/metrics")
		wantIn(t, metrics, "segmentbot_warnings_sent_total 1", `segmentbot_import_rows_total{outcome="failed"} 2500`, `segmentbot_imports_finished_total{status="completed_with_errors"} 1`)

		t.Run("a broadcast scheduled through REST after the upload is checked at once", func(t *testing.T) {
			var list struct{ Segments []segmentbot.Segment }
			s.api("GET", "/v1/segments", nil, &list)
			var b segmentbot.Broadcast
			at := time.Now().Add(5 * time.Hour).UTC().Format(time.RFC3339)
			if code := s.api("POST", "/v1/broadcasts", map[string]any{"segment_id": list.Segments[0].ID, "name": "Flash", "scheduled_at": at}, &b); code != http.StatusCreated {
				t.Fatalf("POST /v1/broadcasts: %d", code)
			}
			s.waitFor("Flash")
		})
		t.Run("a time in the past is refused", func(t *testing.T) {
			wantIn(t, replyText(s.say(s.admin, "schedule Sales at 2020-01-01T09:00:00Z")), "in the past")
		})
	})
}
