package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams/faketeams"
)

// demoAPIKey is the REST key of the demo's service; it lives only as long
// as the demo.
const demoAPIKey = "demo-api-key-0123456789"

// demoWait bounds every wait of the demo: something that takes longer is
// broken, and the demo says so instead of hanging.
const demoWait = 20 * time.Second

// demoWorld is the real service (newApp, its HTTP handler, the import
// runner and the scheduler) on loopback, with the fake Teams, Graph and a
// file host around it.
type demoWorld struct {
	kit   *faketeams.Kit
	app   *app
	srv   *httptest.Server
	files *httptest.Server
	log   *os.File
	dbDir string
	csv   string // what the file host serves; set before the upload
	hrCSV string // the file of HR numbers (chapter 7)
	t     *transcript
	seen  int // activities of kit.Sent() already in the transcript
}

// startDemoWorld starts everything; dir receives the log.
func startDemoWorld(ctx context.Context, dir string, t *transcript) (w *demoWorld, err error) {
	w = &demoWorld{kit: faketeams.Start(), t: t}
	defer func() {
		if err != nil {
			w.stop()
		}
	}()
	if w.dbDir, err = os.MkdirTemp("", "segmentbot-demo-db-"); err != nil {
		return w, fmt.Errorf("database folder: %w", err)
	}
	if w.log, err = os.Create(filepath.Join(dir, "segmentbot.log")); err != nil {
		return w, fmt.Errorf("log file: %w", err)
	}
	w.files = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, ok := map[string]string{"/" + demoFileName: w.csv, "/" + demoHRFileName: w.hrCSV}[r.URL.Path]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/csv")
		io.WriteString(rw, body)
	}))
	w.srv = httptest.NewUnstartedServer(nil)
	getenv := kitEnv(w.kit, "sqlite:"+filepath.Join(w.dbDir, "segmentbot.db"), "http://"+w.srv.Listener.Addr().String(), map[string]string{
		"SEGMENTBOT_GRAPH_RATE":     "500",
		"SEGMENTBOT_ADMINS":         faketeams.NewUser("Ada Admin").AADObjectID,
		"SEGMENTBOT_API_KEYS":       demoAPIKey,
		"SEGMENTBOT_SIGNING_KEY":    "demo-signing-key-" + fmt.Sprint(time.Now().UnixNano()),
		"SEGMENTBOT_DOWNLOAD_ALLOW": "127.0.0.1",
		"SEGMENTBOT_LARGE_UPLOAD":   "2000",
		"SEGMENTBOT_LEAD_TIME":      "24h",
		"SEGMENTBOT_SEND_RATE":      demoSendRate,
	})
	cfg, err := loadConfig(getenv)
	if err != nil {
		return w, fmt.Errorf("%w", err)
	}
	log := slog.New(slog.NewTextHandler(w.log, nil))
	if w.app, err = newApp(ctx, cfg, log, &http.Client{Timeout: 10 * time.Second}, time.Now); err != nil {
		return w, fmt.Errorf("%w", err)
	}
	// Quick polling and progress, so the story moves at reading pace.
	w.app.runner.ProgressEvery = 40 * time.Millisecond
	w.app.runner.Poll = 50 * time.Millisecond
	w.srv.Config.Handler = w.app.handler
	w.srv.Start()
	w.app.start()
	return w, nil
}

// stop shuts everything down and removes the temporary database.
func (w *demoWorld) stop() {
	if w.srv != nil {
		w.srv.Close()
	}
	if w.app != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		w.app.stop(ctx)
		cancel()
	}
	if w.files != nil {
		w.files.Close()
	}
	w.kit.Close()
	if w.log != nil {
		w.log.Close()
	}
	if w.dbDir != "" {
		os.RemoveAll(w.dbDir)
	}
}

// post sends a signed activity to /api/messages, as the Bot Connector
// does.
func (w *demoWorld) post(a faketeams.Activity) error {
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/api/messages", bytes.NewReader(a.JSON()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", w.kit.Sign(a))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST /api/messages: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /api/messages: status %d: %s", resp.StatusCode, body)
	}
	return nil
}

// waitSent waits until done holds for the activities sent since the last
// flush, then writes them to the transcript (replies to replyTo first) and
// returns them.
func (w *demoWorld) waitSent(what, replyTo string, done func([]faketeams.Sent) bool) ([]faketeams.Sent, error) {
	deadline := time.Now().Add(demoWait)
	for {
		fresh := w.kit.Sent()[w.seen:]
		if done(fresh) {
			w.seen += len(fresh)
			ordered := slices.Clone(fresh)
			slices.SortStableFunc(ordered, func(a, b faketeams.Sent) int {
				return boolRank(a.Activity["replyToId"] != replyTo) - boolRank(b.Activity["replyToId"] != replyTo)
			})
			for _, s := range ordered {
				w.t.bot(s)
			}
			return fresh, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waited %s for %s; the bot sent %d activities", demoWait, what, len(fresh))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// atLeast is a waitSent condition: at least n activities.
func atLeast(n int) func([]faketeams.Sent) bool {
	return func(s []faketeams.Sent) bool { return len(s) >= n }
}

// saying is a waitSent condition: an activity whose text has all of texts.
func saying(texts ...string) func([]faketeams.Sent) bool {
	return func(sent []faketeams.Sent) bool {
		for _, s := range sent {
			all := strings.Join(sentLines(s), "\n")
			ok := true
			for _, t := range texts {
				ok = ok && strings.Contains(all, t)
			}
			if ok {
				return true
			}
		}
		return false
	}
}

// act is one turn: a person does something, the bot answers.
func (w *demoWorld) act(a faketeams.Activity, done func([]faketeams.Sent) bool) ([]faketeams.Sent, error) {
	if err := w.post(a); err != nil {
		return nil, err
	}
	return w.waitSent(fmt.Sprintf("the answer to %s", a.ID()), a.ID(), done)
}

// api calls the REST API with the demo's key and decodes the answer.
func (w *demoWorld) api(method, path string, out any) error {
	req, err := http.NewRequest(method, w.srv.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+demoAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// download fetches a signed /downloads link into the file dir/name and
// returns its line count.
func (w *demoWorld) download(link, dir, name string) (int, error) {
	resp, err := http.Get(link)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("download %s: status %d", name, resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		return 0, fmt.Errorf("%w", err)
	}
	return bytes.Count(body, []byte("\n")), nil
}
