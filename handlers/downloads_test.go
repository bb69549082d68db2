package handlers

import (
	"encoding/csv"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/signer"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestDownloads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		seg := f.createSegment("Sales / EMEA")
		join(t, db, seg.ID, addUser(t, db, "Ann", "ann@example.com"))
		imp := runImport(t, db, seg.ID, []string{"ann@example.com", "nope"})
		later := testNow.Add(time.Hour)
		sign := f.deps.Signer.DownloadToken

		valid := []struct {
			name, token, file, want string
		}{
			{"a members link gives the segment as name,email", sign("members", seg.ID, later), "segment-sales-emea-members.csv", "[[name email] [Ann ann@example.com]]"},
			{"a report link gives row,value,outcome,reason", sign("report", imp.ID, later), fmt.Sprintf("import-%d-report.csv", imp.ID), "[[row value outcome reason] [1 ann@example.com already_member ] [2 nope failed invalid]]"},
		}
		for _, tt := range valid {
			t.Run(tt.name, func(t *testing.T) {
				resp := f.do("GET", "/downloads/"+tt.token, nil, "Authorization", "")
				rows, err := csv.NewReader(resp.Body).ReadAll()
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("status %d: %v", resp.StatusCode, err)
				}
				if fmt.Sprint(rows) != tt.want {
					t.Errorf("rows %v, want %s", rows, tt.want)
				}
				disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
				if err != nil || disp != "attachment" || params["filename"] != tt.file {
					t.Errorf("Content-Disposition %q, want attachment %s", resp.Header.Get("Content-Disposition"), tt.file)
				}
			})
		}

		other := signer.New([]byte("another key, another key, 123456"))
		token := sign("members", seg.ID, later)
		invalid := []struct {
			name, token string
			status      int
			says        string
		}{
			{"an expired link is 410", sign("members", seg.ID, testNow.Add(-time.Second)), 410, "expired"},
			{"a link signed with another key is 403", other.DownloadToken("members", seg.ID, later), 403, "not valid"},
			{"a link with a changed payload is 403", "A" + token[1:], 403, "not valid"},
			{"garbage is 403", "garbage", 403, "not valid"},
			{"a link to a deleted segment is 404", sign("members", 999999, later), 404, "no longer exists"},
			{"a link of an unknown kind is 404", sign("secrets", seg.ID, later), 404, "no longer exists"},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				resp := f.do("GET", "/downloads/"+tt.token, nil, "Authorization", "")
				raw, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tt.status || !strings.Contains(string(raw), tt.says) {
					t.Fatalf("got %d %q, want %d saying %q", resp.StatusCode, raw, tt.status, tt.says)
				}
				if resp.Header.Get("Content-Disposition") != "" {
					t.Error("an error is served as an attachment")
				}
			})
		}
	})
}
