package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/store/storetest"
)

// TestGotItAlwaysComesBeforeTheProgressCard is issue 14.11: the reply
// "Got it: importing ..." and the import's progress card raced (the reply
// queue against the worker's send), and the card came first in about one
// run in five. With a connector that is slow to accept replies the race
// would be lost every time; the order must hold on every run.
func TestGotItAlwaysComesBeforeTheProgressCard(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		files := fileHost(t, map[string]string{"/people.csv": "ann@contoso.com\r\nbob@contoso.com\r\n"})
		s.say(s.admin, "create segment Staff")
		s.kit.DelayReplies(40 * time.Millisecond)
		for run := range 12 {
			before := len(s.kit.Sent())
			name := fmt.Sprintf("people-%d.csv", run)
			file := s.kit.File(s.admin, files.URL+"/people.csv?run="+name, name)
			file["text"] = "import into Staff"
			if code, body := s.post(file); code != http.StatusOK {
				t.Fatalf("run %d: status %d %s", run, code, body)
			}
			gotIt, card := -1, -1
			deadline := time.Now().Add(10 * time.Second)
			for (gotIt < 0 || card < 0) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
				gotIt, card = -1, -1
				for i, sent := range s.kit.Sent()[before:] {
					text := replyText(sent)
					if gotIt < 0 && strings.Contains(text, "Got it: importing "+name) {
						gotIt = i
					}
					if card < 0 && sent.Method == http.MethodPost && strings.Contains(text, "Importing into Staff") {
						card = i
					}
				}
			}
			if gotIt < 0 || card < 0 {
				t.Fatalf("run %d: Got it at %d, progress card at %d; want both", run, gotIt, card)
			}
			if card < gotIt {
				t.Fatalf("run %d: the progress card came before the Got it", run)
			}
			// Let the import finish before the next run.
			for done := false; !done; time.Sleep(20 * time.Millisecond) {
				imps, err := s.app.store.FindImports(t.Context(), 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				done = len(imps) == 1 && imps[0].Done()
				if time.Now().After(deadline) {
					t.Fatalf("run %d: import not finished", run)
				}
			}
		}
	})
}
