package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// lostAck is a store whose next CreateSegment saves the segment but
// reports a failure, as when the connection drops after the commit.
type lostAck struct {
	*store.DB
	fail int
}

func (l *lostAck) CreateSegment(ctx context.Context, seg *segmentbot.Segment) error {
	err := l.DB.CreateSegment(ctx, seg)
	if err == nil && l.fail > 0 {
		l.fail--
		return errors.New("connection reset after the commit")
	}
	return err
}

// Issue 15.8: a REST create that was saved but answered 500 is retried
// with its Idempotency-Key: the retry gets the segment made, and no second
// one; the same key with another body is 409.
func TestIdempotencyKeyMakesCreatesSafeToRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := &lostAck{DB: db, fail: 1}
		f := newFixture(t, db, func(d *Deps) { d.Store = st })
		post := func(path, key, body string) (int, string, http.Header) {
			t.Helper()
			resp := f.do("POST", path, strings.NewReader(body), "Idempotency-Key", key)
			raw, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(raw), resp.Header
		}
		if code, body, _ := post("/v1/segments", "key-1", `{"name":"Launch"}`); code != http.StatusInternalServerError {
			t.Fatalf("the lost acknowledgement: %d %s, want 500", code, body)
		}
		code, body, h := post("/v1/segments", "key-1", `{"name":"Launch"}`)
		if code != http.StatusCreated || !strings.Contains(body, `"name":"Launch"`) || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the retry: %d %s %v, want 201 with the saved segment", code, body, h)
		}
		if code, again, _ := post("/v1/segments", "key-1", `{"name":"Launch"}`); code != http.StatusCreated || again != body {
			t.Fatalf("a second retry: %d %s, want the same answer %s", code, again, body)
		}
		if code, body, _ := post("/v1/segments", "key-1", `{"name":"Other"}`); code != http.StatusConflict || !strings.Contains(body, "another request body") {
			t.Fatalf("the key with another body: %d %s, want 409", code, body)
		}

		code, first, _ := post("/v1/segments", "key-2", `{"name":"News"}`)
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, first)
		}
		if code, again, h := post("/v1/segments", "key-2", `{"name":"News"}`); code != http.StatusCreated || again != first || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("a retry of a create that succeeded: %d %s, want the first answer %s", code, again, first)
		}
		var list segmentList
		f.call("GET", "/v1/segments", "", &list)
		if len(list.Segments) != 2 {
			t.Fatalf("%d segments, want Launch and News once each", len(list.Segments))
		}

		b := fmt.Sprintf(`{"segment_id":%d,"name":"Weekly","scheduled_at":%q}`, list.Segments[0].ID, testNow.Add(72*time.Hour).Format(time.RFC3339))
		code, firstB, _ := post("/v1/broadcasts", "key-3", b)
		if code2, againB, _ := post("/v1/broadcasts", "key-3", b); code != http.StatusCreated || code2 != http.StatusCreated || againB != firstB {
			t.Fatalf("broadcast create and retry: %d, %d; %s vs %s", code, code2, firstB, againB)
		}
		brs, err := db.FindBroadcasts(t.Context(), testNow, false)
		if err != nil || len(brs) != 1 {
			t.Fatalf("%d broadcasts (%v), want one", len(brs), err)
		}
	})
}
