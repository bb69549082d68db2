package handlers

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, func(d *Deps) { d.MaxCSVBytes = 1000 })
		seg := f.createSegment("Imported")
		path := fmt.Sprintf("/v1/segments/%d/imports", seg.ID)
		file := "email\nann@example.com\nbob@example.com\n"

		t.Run("a text/csv body is queued: 202 with id and status", func(t *testing.T) {
			resp := f.do("POST", path+"?file_name=staff.csv", strings.NewReader(file), "Content-Type", "text/csv")
			var out map[string]any
			decodeBody(t, resp, &out)
			if resp.StatusCode != 202 || out["id"] == nil || out["status"] != segmentbot.ImportPending || len(out) != 2 {
				t.Fatalf("got %d %v", resp.StatusCode, out)
			}
			if name, body := f.uploads.last(); name != "staff.csv" || body != file {
				t.Errorf("uploader got %q %q", name, body)
			}
			if resp.Header.Get("Location") != fmt.Sprintf("/v1/imports/%v", out["id"]) {
				t.Errorf("location %q", resp.Header.Get("Location"))
			}
		})
		t.Run("a multipart field file is queued with its file name", func(t *testing.T) {
			body, ctype := multipartFile(t, "other", "list.csv", file)
			resp := f.do("POST", path, body, "Content-Type", ctype)
			if resp.StatusCode != 202 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if name, got := f.uploads.last(); name != "list.csv" || got != file {
				t.Errorf("uploader got %q %q", name, got)
			}
		})
		t.Run("a file over MaxCSVBytes is 413", func(t *testing.T) {
			big := strings.Repeat("someone@example.com\n", 60)
			f.wantErrorReq("POST", path, strings.NewReader(big), 413, "too_large", "Content-Type", "text/csv")
		})
		t.Run("a multipart file over MaxCSVBytes is 413", func(t *testing.T) {
			body, ctype := multipartFile(t, "", "big.csv", strings.Repeat("someone@example.com\n", 60))
			f.wantErrorReq("POST", path, body, 413, "too_large", "Content-Type", ctype)
		})
		t.Run("a form without a file field is 400", func(t *testing.T) {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			w.WriteField("note", "x")
			w.Close()
			f.wantErrorReq("POST", path, &buf, 400, "invalid", "Content-Type", w.FormDataContentType())
		})
		t.Run("a JSON body is 400", func(t *testing.T) {
			f.wantErrorReq("POST", path, strings.NewReader(`{}`), 400, "invalid", "Content-Type", "application/json")
		})
		t.Run("an import into a missing segment is 404", func(t *testing.T) {
			f.wantErrorReq("POST", "/v1/segments/999999/imports", strings.NewReader(file), 404, "not_found", "Content-Type", "text/csv")
		})

		addUser(t, db, "Ann", "ann@example.com")
		imp := runImport(t, db, seg.ID, []string{"ann@example.com", "=cmd", "ghost@example.com", "ANN@example.com"})
		t.Run("an import shows every field, failures by reason as an object", func(t *testing.T) {
			var out map[string]any
			if st := f.call("GET", fmt.Sprintf("/v1/imports/%d", imp.ID), "", &out); st != 200 {
				t.Fatalf("status %d", st)
			}
			for _, k := range []string{"id", "segment_id", "status", "total", "added", "already_member", "skipped_opted_out", "duplicates", "failed", "failed_by_reason", "created_at", "started_at", "finished_at"} {
				if _, ok := out[k]; !ok {
					t.Errorf("field %q missing", k)
				}
			}
			byReason, ok := out["failed_by_reason"].(map[string]any)
			if !ok || byReason["invalid"] != float64(1) || byReason["not_found"] != float64(1) {
				t.Errorf("failed_by_reason %v", out["failed_by_reason"])
			}
			if out["total"] != float64(4) || out["added"] != float64(1) || out["duplicates"] != float64(1) || out["status"] != segmentbot.ImportCompletedWithErrors {
				t.Errorf("counts %v", out)
			}
		})
		t.Run("a queued import has an empty failed_by_reason object", func(t *testing.T) {
			queued := &segmentbot.Import{SegmentID: seg.ID, Channel: "api", FileName: "q.csv"}
			if err := db.CreateImport(t.Context(), queued); err != nil {
				t.Fatal(err)
			}
			var out map[string]any
			f.call("GET", fmt.Sprintf("/v1/imports/%d", queued.ID), "", &out)
			if m, ok := out["failed_by_reason"].(map[string]any); !ok || len(m) != 0 || out["finished_at"] != nil {
				t.Fatalf("got %v", out)
			}
		})
		t.Run("the report lists every row with outcome and reason, escaped", func(t *testing.T) {
			resp := f.do("GET", fmt.Sprintf("/v1/imports/%d/report.csv", imp.ID), nil)
			rows, err := csv.NewReader(resp.Body).ReadAll()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			want := "[[row value outcome reason] [1 ann@example.com added ] [2 '=cmd failed invalid] [3 ghost@example.com failed not_found] [4 ANN@example.com duplicate ]]"
			if fmt.Sprint(rows) != want {
				t.Fatalf("rows %v\nwant %s", rows, want)
			}
		})
		t.Run("a missing import is 404 and a bad id 400", func(t *testing.T) {
			f.wantError("GET", "/v1/imports/999999", "", 404, "not_found")
			f.wantError("GET", "/v1/imports/999999/report.csv", "", 404, "not_found")
			f.wantError("GET", "/v1/imports/x", "", 400, "invalid")
		})
	})
}

// multipartFile is a form with the file in field (default "file").
func multipartFile(t *testing.T, field, name, content string) (*bytes.Buffer, string) {
	t.Helper()
	if field == "" {
		field = "file"
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if field != "file" {
		w.WriteField(field, "ignored")
	}
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write([]byte(content))
	w.Close()
	return &buf, w.FormDataContentType()
}
