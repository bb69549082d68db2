package handlers

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// deliveredBroadcast sends a broadcast to four members through the
// store's delivery API: one sent, two failed (blocked, not_reachable), and
// one still pending; then it returns the broadcast.
func deliveredBroadcast(t *testing.T, db *store.DB, finish bool) (*segmentbot.Broadcast, []*segmentbot.User) {
	t.Helper()
	ctx := t.Context()
	seg := &segmentbot.Segment{Name: "Delivered"}
	if err := db.CreateSegment(ctx, seg); err != nil {
		t.Fatal(err)
	}
	users := []*segmentbot.User{
		addUser(t, db, "Anna", "anna@example.com"),
		addUser(t, db, "=HYPERLINK(\"http://evil\")", "evil@example.com"),
		addUser(t, db, "+1 Plus", "@plus@example.com"),
		addUser(t, db, "Dora", "dora@example.com"),
	}
	for _, u := range users {
		join(t, db, seg.ID, u)
	}
	b := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "News", ScheduledAt: testNow.Add(-time.Minute), Message: &segmentbot.BroadcastMessage{Text: "Hi"}}
	if err := db.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FixAudience(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimDeliveries(ctx, b.ID, "w1", time.Minute, 0, 10); err != nil {
		t.Fatal(err)
	}
	results := []segmentbot.DeliveryResult{
		{UserID: users[0].ID, Status: segmentbot.DeliverySent, Attempts: 1},
		{UserID: users[1].ID, Status: segmentbot.DeliveryFailed, Reason: segmentbot.DeliveryBlocked, Attempts: 1},
		{UserID: users[2].ID, Status: segmentbot.DeliveryFailed, Reason: segmentbot.DeliveryNotReachable, Attempts: 1},
	}
	if finish {
		results = append(results, segmentbot.DeliveryResult{UserID: users[3].ID, Status: segmentbot.DeliverySent, Attempts: 1})
	}
	if err := db.MarkDeliveries(ctx, b.ID, results); err != nil {
		t.Fatal(err)
	}
	if finish {
		if _, err := db.FinishBroadcast(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	return b, users
}

func TestGetBroadcast(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		b, _ := deliveredBroadcast(t, db, false)
		t.Run("a broadcast being sent has its counts and failures by reason", func(t *testing.T) {
			var got map[string]any
			if st := f.call("GET", fmt.Sprintf("/v1/broadcasts/%d", b.ID), "", &got); st != 200 {
				t.Fatalf("status %d", st)
			}
			for _, field := range []string{"id", "segment_id", "name", "status", "scheduled_at", "started_at", "finished_at", "message", "filter",
				"audience", "sent", "failed", "skipped", "pending", "failed_by_reason"} {
				if _, ok := got[field]; !ok {
					t.Errorf("field %q missing from %v", field, got)
				}
			}
			want := map[string]any{"status": "sending", "audience": 4.0, "sent": 1.0, "failed": 2.0, "skipped": 0.0, "pending": 1.0,
				"failed_by_reason": map[string]any{"blocked": 1.0, "not_reachable": 1.0}, "message": map[string]any{"text": "Hi"}, "filter": nil, "finished_at": nil}
			for k, v := range want {
				if fmt.Sprint(got[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if got["started_at"] == nil {
				t.Error("started_at is null for a broadcast being sent")
			}
		})
		t.Run("a placeholder has no message and empty counts", func(t *testing.T) {
			var p segmentbot.Broadcast
			f.call("POST", "/v1/broadcasts", fmt.Sprintf(`{"segment_id":%d,"name":"Later","scheduled_at":%q}`, b.SegmentID, testNow.Add(time.Hour).Format(time.RFC3339)), &p)
			var got map[string]any
			f.call("GET", fmt.Sprintf("/v1/broadcasts/%d", p.ID), "", &got)
			if got["message"] != nil || got["status"] != "scheduled" || fmt.Sprint(got["failed_by_reason"]) != "map[]" {
				t.Errorf("placeholder %v", got)
			}
		})
		t.Run("a missing broadcast is 404, a bad id 400", func(t *testing.T) {
			f.wantError("GET", "/v1/broadcasts/999999", "", 404, "not_found")
			f.wantError("GET", "/v1/broadcasts/abc", "", 400, "invalid")
			f.wantError("GET", "/v1/broadcasts/999999/deliveries.csv", "", 404, "not_found")
		})
	})
}

func TestDeliveriesCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		db.Now = func() time.Time { return testNow }
		b, users := deliveredBroadcast(t, db, true)
		check := func(t *testing.T, body io.Reader) {
			t.Helper()
			raw, _ := io.ReadAll(body)
			records, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v\n%s", err, raw)
			}
			want := [][]string{
				{"user_id", "name", "email", "status", "reason", "sent_at"},
				{fmt.Sprint(users[0].ID), "Anna", "anna@example.com", "sent", "", testNow.Format(time.RFC3339)},
				{fmt.Sprint(users[1].ID), `'=HYPERLINK("http://evil")`, "evil@example.com", "failed", "blocked", ""},
				{fmt.Sprint(users[2].ID), "'+1 Plus", "'@plus@example.com", "failed", "not_reachable", ""},
				{fmt.Sprint(users[3].ID), "Dora", "dora@example.com", "sent", "", testNow.Format(time.RFC3339)},
			}
			if fmt.Sprint(records) != fmt.Sprint(want) {
				t.Errorf("deliveries.csv\n%v\nwant\n%v", records, want)
			}
		}
		t.Run("the API key gets one row per recipient, escaped", func(t *testing.T) {
			resp := f.do("GET", fmt.Sprintf("/v1/broadcasts/%d/deliveries.csv", b.ID), nil)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			check(t, resp.Body)
		})
		t.Run("the signed link of the report card gives the same file as an attachment, without a key", func(t *testing.T) {
			token := f.deps.Signer.DownloadToken("deliveries", b.ID, testNow.Add(time.Hour))
			resp := f.do("GET", "/downloads/"+token, nil, "Authorization", "")
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("status %d, disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
			}
			check(t, resp.Body)
		})
		t.Run("an expired or forged link is refused", func(t *testing.T) {
			expired := f.deps.Signer.DownloadToken("deliveries", b.ID, testNow.Add(-time.Minute))
			if resp := f.do("GET", "/downloads/"+expired, nil, "Authorization", ""); resp.StatusCode != 410 {
				t.Errorf("expired: %d", resp.StatusCode)
			}
			other := f.deps.Signer.DownloadToken("deliveries", b.ID+1, testNow.Add(time.Hour))
			forged := strings.Split(f.deps.Signer.DownloadToken("deliveries", b.ID, testNow.Add(time.Hour)), ".")[0] + "." + strings.Split(other, ".")[1]
			if resp := f.do("GET", "/downloads/"+forged, nil, "Authorization", ""); resp.StatusCode != 403 {
				t.Errorf("forged: %d", resp.StatusCode)
			}
		})
		t.Run("without the key it is 401", func(t *testing.T) {
			resp := f.do("GET", fmt.Sprintf("/v1/broadcasts/%d/deliveries.csv", b.ID), nil, "Authorization", "")
			if resp.StatusCode != 401 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	})
}
