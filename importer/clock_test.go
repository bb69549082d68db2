package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// The runner measures with the clock it is given (the app injects one):
// a clock that moves 1.5 s per reading makes every step take 1,500 ms.
func TestRunnerMeasuresWithTheInjectedClock(t *testing.T) {
	w := newWorld(t, storetest.Open(t, "sqlite"))
	var mu sync.Mutex
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	w.runner.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(1500 * time.Millisecond)
		return at
	}
	var logs bytes.Buffer
	w.runner.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: segmentbot.ChannelTeams, UploadedBy: w.admin.ID}
	if _, _, err := w.runner.RunNow(context.Background(), imp, []string{"known@contoso.com", "new@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	steps, finished := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		d, _ := e["duration_ms"].(float64)
		switch e["msg"] {
		case "import step done":
			steps++
			if d != 1500 {
				t.Errorf("step %v took %v ms by the injected clock, want 1500", e["phase"], d)
			}
		case "import finished":
			finished++
			if d < 3000 || int(d)%1500 != 0 {
				t.Errorf("import took %v ms, want a multiple of the clock's 1500 ms steps", d)
			}
		}
	}
	if steps == 0 || finished != 1 {
		t.Fatalf("%d step lines and %d finished lines in the log:\n%s", steps, finished, logs.String())
	}
}
