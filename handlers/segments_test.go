package handlers

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestAPIKeys(t *testing.T) {
	db := openSQLite(t)
	f := newFixture(t, db)
	tests := []struct {
		name, auth string
	}{
		{"no Authorization header", ""},
		{"a wrong key", "Bearer nope"},
		{"a key with another scheme", "Basic " + testKey},
		{"an empty bearer", "Bearer "},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is 401", func(t *testing.T) {
			resp := f.do("GET", "/v1/segments", nil, "Authorization", tt.auth)
			var e apiError
			decodeBody(t, resp, &e)
			if resp.StatusCode != 401 || e.Error.Code != "unauthorized" {
				t.Fatalf("got %d %+v", resp.StatusCode, e)
			}
		})
	}
	t.Run("any configured key is accepted", func(t *testing.T) {
		if st := f.do("GET", "/v1/segments", nil, "Authorization", "Bearer other-key").StatusCode; st != 200 {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("without keys the API is not served", func(t *testing.T) {
		off := newFixture(t, db, func(d *Deps) { d.APIKeys = nil })
		if st := off.do("GET", "/v1/segments", nil).StatusCode; st != 404 {
			t.Fatalf("status %d, want 404", st)
		}
	})
}

func TestSegments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)

		t.Run("create answers 201 with the segment", func(t *testing.T) {
			var seg segmentbot.Segment
			st := f.call("POST", "/v1/segments", `{"name":"  Sales Team "}`, &seg)
			if st != 201 || seg.ID == 0 || seg.Name != "Sales Team" || seg.CreatedAt.IsZero() {
				t.Fatalf("got %d %+v", st, seg)
			}
		})
		t.Run("a name taken in another case is 409 conflict", func(t *testing.T) {
			f.wantError("POST", "/v1/segments", `{"name":"SALES team"}`, 409, "conflict")
		})
		bad := []struct{ name, body, want string }{
			{"malformed JSON", `{"name":`, ""},
			{"not an object", `["x"]`, ""},
			{"an unknown field", `{"name":"x","colour":"red"}`, `Unknown field "colour".`},
			{"a wrong type", `{"name":42}`, `Field "name" must be a string, not number.`},
			{"no name", `{}`, `Field "name" is required.`},
			{"an empty body", ``, ""},
			{"two objects", `{"name":"a"}{"name":"b"}`, ""},
		}
		for _, tt := range bad {
			t.Run("create with "+tt.name+" is 400", func(t *testing.T) {
				e := f.wantError("POST", "/v1/segments", tt.body, 400, "invalid")
				if tt.want != "" && e.Error.Message != tt.want {
					t.Errorf("message %q, want %q", e.Error.Message, tt.want)
				}
			})
		}

		seg := f.createSegment("Marketing")
		t.Run("rename answers the renamed segment", func(t *testing.T) {
			var got segmentbot.Segment
			st := f.call("PATCH", fmt.Sprintf("/v1/segments/%d", seg.ID), `{"name":"Growth"}`, &got)
			if st != 200 || got.Name != "Growth" || got.ID != seg.ID {
				t.Fatalf("got %d %+v", st, got)
			}
		})
		t.Run("rename onto a taken name is 409", func(t *testing.T) {
			f.wantError("PATCH", fmt.Sprintf("/v1/segments/%d", seg.ID), `{"name":"sales team"}`, 409, "conflict")
		})
		t.Run("rename of a missing segment is 404", func(t *testing.T) {
			f.wantError("PATCH", "/v1/segments/999999", `{"name":"x"}`, 404, "not_found")
		})
		t.Run("a bad id is 400", func(t *testing.T) {
			for _, id := range []string{"abc", "0", "-1", "1.5"} {
				f.wantError("PATCH", "/v1/segments/"+id, `{"name":"x"}`, 400, "invalid")
			}
		})
		t.Run("an empty change is 400", func(t *testing.T) {
			f.wantError("PATCH", fmt.Sprintf("/v1/segments/%d", seg.ID), `{}`, 400, "invalid")
		})

		t.Run("list shows members and last import", func(t *testing.T) {
			join(t, db, seg.ID, addUser(t, db, "Ann", "ann@example.com"))
			var list struct {
				Segments   []map[string]any `json:"segments"`
				NextCursor string           `json:"next_cursor"`
			}
			if st := f.call("GET", "/v1/segments", "", &list); st != 200 {
				t.Fatalf("status %d", st)
			}
			if len(list.Segments) != 2 || list.NextCursor != "" {
				t.Fatalf("got %+v", list)
			}
			growth := list.Segments[1]
			if growth["name"] != "Growth" || growth["members"] != float64(1) {
				t.Errorf("segment %v", growth)
			}
			if v, ok := growth["last_import"]; !ok || v != nil {
				t.Errorf("last_import = %v (present %v), want null", v, ok)
			}
		})

		t.Run("delete cancels broadcasts, tells the hook and answers them", func(t *testing.T) {
			var b segmentbot.Broadcast
			f.call("POST", "/v1/broadcasts", fmt.Sprintf(`{"segment_id":%d,"name":"Launch","scheduled_at":%q}`, seg.ID, testNow.Add(48*time.Hour).Format(time.RFC3339)), &b)
			var out struct {
				Segment   segmentbot.Segment      `json:"segment"`
				Cancelled []*segmentbot.Broadcast `json:"cancelled_broadcasts"`
			}
			st := f.call("DELETE", fmt.Sprintf("/v1/segments/%d", seg.ID), "", &out)
			if st != 200 || out.Segment.ID != seg.ID || len(out.Cancelled) != 1 || out.Cancelled[0].ID != b.ID {
				t.Fatalf("got %d %+v", st, out)
			}
			if len(f.hooks.deleted) != 1 || f.hooks.deleted[0].ID != seg.ID || len(f.hooks.cancelled[0]) != 1 {
				t.Errorf("hook saw %+v %+v", f.hooks.deleted, f.hooks.cancelled)
			}
			f.wantError("DELETE", fmt.Sprintf("/v1/segments/%d", seg.ID), "", 404, "not_found")
		})
	})
}

func TestSegmentPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for i := range 250 {
			seg := &segmentbot.Segment{Name: fmt.Sprintf("segment %03d", i)}
			if err := db.CreateSegment(t.Context(), seg); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("pages of 100 walk all 250 segments once, in order", func(t *testing.T) {
			var names []string
			var pages []int
			path := "/v1/segments"
			for {
				var list struct {
					Segments   []segmentbot.Segment `json:"segments"`
					NextCursor string               `json:"next_cursor"`
				}
				if st := f.call("GET", path, "", &list); st != 200 {
					t.Fatalf("%s: status %d", path, st)
				}
				pages = append(pages, len(list.Segments))
				for _, s := range list.Segments {
					names = append(names, s.Name)
				}
				if list.NextCursor == "" {
					break
				}
				path = "/v1/segments?cursor=" + list.NextCursor
			}
			if fmt.Sprint(pages) != "[100 100 50]" || len(names) != 250 {
				t.Fatalf("pages %v, %d names", pages, len(names))
			}
			for i, n := range names {
				if n != fmt.Sprintf("segment %03d", i) {
					t.Fatalf("name %d is %q", i, n)
				}
			}
		})
		t.Run("a limit that divides the total ends without an empty page", func(t *testing.T) {
			var list struct {
				Segments   []segmentbot.Segment `json:"segments"`
				NextCursor string               `json:"next_cursor"`
			}
			f.call("GET", "/v1/segments?limit=250", "", &list)
			if len(list.Segments) != 250 || list.NextCursor != "" {
				t.Fatalf("%d segments, cursor %q", len(list.Segments), list.NextCursor)
			}
		})
		for _, q := range []string{"cursor=garbage!", "cursor=bm90LWEtbnVtYmVy", "limit=0", "limit=1001", "limit=ten"} {
			t.Run(q+" is 400", func(t *testing.T) {
				f.wantError("GET", "/v1/segments?"+q, "", http.StatusBadRequest, "invalid")
			})
		}
	})
}
