package importer

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestStartUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()

		t.Run("a CSV body is staged for a worker to finish", func(t *testing.T) {
			imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: "api", FileName: "upload.csv"}
			staged, err := StartUpload(ctx, db, imp, strings.NewReader(mixedFile))
			must(t, err)
			if staged.Phase != segmentbot.PhaseStaged || staged.Total != 10 || staged.Done() {
				t.Fatalf("import = %s/%s total %d; want staged with 10 rows", staged.Status, staged.Phase, staged.Total)
			}
			w.runner.Directories["api"] = w.dir
			done, err := w.runner.Process(ctx, staged)
			must(t, err)
			if counts(done) != mixedCounts {
				t.Errorf("counts = %v; want %v", counts(done), mixedCounts)
			}
		})
		t.Run("a body that is not CSV fails the import", func(t *testing.T) {
			imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: "api", FileName: "photo.png"}
			failed, err := StartUpload(ctx, db, imp, strings.NewReader("\x89PNG\r\n\x1a\n...."))
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
				t.Fatalf("err = %v; want EINVALID", err)
			}
			want := "not a CSV file: this looks like an image (PNG); send the list as a CSV file"
			if failed == nil || failed.Status != segmentbot.ImportFailed || failed.Error != want {
				t.Errorf("import = %+v; want failed with %q", failed, want)
			}
		})
		t.Run("a body without rows fails with no users found", func(t *testing.T) {
			imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: "api"}
			failed, err := StartUpload(ctx, db, imp, strings.NewReader("email\r\n"))
			if segmentbot.ErrorMessage(err) != "no users found" || failed.Status != segmentbot.ImportFailed {
				t.Errorf("import = %+v, err = %v; want failed with no users found", failed, err)
			}
		})
	})
}

func TestRunNow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()

		t.Run("pasted values are imported at once", func(t *testing.T) {
			imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: segmentbot.ChannelTeams, UploadedBy: w.admin.ID}
			values := []string{"Known@Contoso.com", "", "  ", "new@contoso.com", "nobody", "ghost@contoso.com"}
			done, rows, err := w.runner.RunNow(ctx, imp, values)
			must(t, err)
			var got []string
			for _, r := range rows {
				got = append(got, strings.TrimSpace(r.Value+" "+r.Outcome+" "+r.Reason))
			}
			want := []string{"Known@Contoso.com added", "new@contoso.com added", "nobody failed not_found", "ghost@contoso.com failed not_found"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("rows = %q; want %q", got, want)
			}
			if done.Status != segmentbot.ImportCompletedWithErrors || done.Added != 2 || done.Failed != 2 {
				t.Errorf("import = %s added %d failed %d", done.Status, done.Added, done.Failed)
			}
			if log := w.chat.sent(); len(log) != 0 {
				t.Errorf("chat = %+v; RunNow's caller answers, not the importer", log)
			}
		})
		t.Run("nothing pasted fails with no users found", func(t *testing.T) {
			imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: segmentbot.ChannelTeams, UploadedBy: w.admin.ID}
			done, rows, err := w.runner.RunNow(ctx, imp, []string{" ", ""})
			if segmentbot.ErrorMessage(err) != "no users found" || done.Status != segmentbot.ImportFailed || len(rows) != 0 {
				t.Errorf("import = %+v, rows %v, err = %v", done, rows, err)
			}
		})
	})
}

// TestRunnersShareImports runs two runners of two workers each on one
// database: every import is processed, and by exactly one of them.
func TestRunnersShareImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var paths []string
		var imps []*segmentbot.Import
		for i := range 8 {
			path := "/shared-" + string(rune('a'+i)) + ".csv"
			paths = append(paths, path)
			// One segment each: what is checked here is the claiming, not
			// two imports racing for the same members.
			seg := &segmentbot.Segment{Name: "Shared " + path}
			must(t, db.CreateSegment(context.Background(), seg))
			imps = append(imps, w.uploadTo(t, seg.ID, path, mixedFile))
		}
		var mu sync.Mutex
		finished := map[int64]int{}
		onFinish := func(ctx context.Context, imp *segmentbot.Import) {
			mu.Lock()
			finished[imp.ID]++
			mu.Unlock()
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		for range 2 {
			runner := &Runner{
				Store: db, Directories: w.runner.Directories, Fetcher: w.runner.Fetcher,
				Workers: 2, Lease: w.runner.Lease, OnFinish: onFinish,
				Poll: time.Hour, // only Wake sets them going: it must work
			}
			wg.Go(func() { runner.Run(ctx) })
			runner.Wake()
		}
		deadline := time.Now().Add(30 * time.Second)
		for _, imp := range imps {
			for {
				got, err := db.FindImportByID(ctx, imp.ID)
				must(t, err)
				mu.Lock()
				reported := finished[imp.ID] > 0
				mu.Unlock()
				if got.Done() && reported {
					if got.Total != 10 || got.Added != 4 {
						t.Errorf("import %d = %s with %d rows, %d added; want 10 rows, 4 added", imp.ID, got.Status, got.Total, got.Added)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("import %d still %s/%s", imp.ID, got.Status, got.Phase)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		cancel()
		wg.Wait()
		for i, imp := range imps {
			if n := w.files.count(paths[i]); n != 1 {
				t.Errorf("import %d downloaded %d times; want once", imp.ID, n)
			}
			if finished[imp.ID] != 1 {
				t.Errorf("import %d finished %d times; want once", imp.ID, finished[imp.ID])
			}
		}
	})
}
