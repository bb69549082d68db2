package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/faketeams"
)

// demoBroadcast is the message Ada writes in the last chapter.
const demoBroadcast = "broadcast " + demoSegment + " as Welcome week\n" +
	"# Welcome to Contoso\n" +
	"Your first week starts on **Monday** at 9:00 in the atrium.\n\n" +
	"Bring your badge; breakfast is on us.\n" +
	"button: Read the handbook | https://contoso.example/handbook"

// demoSendWait bounds the wait for the broadcast's report: 2,402 sends
// take a few seconds, several times that under the race detector.
const demoSendWait = 2 * time.Minute

// demoSendRate is the demo's SEGMENTBOT_SEND_RATE: the fake connector
// takes what Teams would not (50 requests a second per tenant), so 2,400
// copies go out in a few seconds instead of a minute.
const demoSendRate = "1000"

// sendBroadcast is the last chapter: Ada writes a broadcast in chat, sees
// it as her members will, sends it, and follows it to its report.
func (s *story) sendBroadcast() error {
	s.t.chapter("8. Ada writes a broadcast in chat, checks the preview and sends it")
	blocked := s.p.roster[10]
	s.w.kit.FailOpen(blocked.ID, faketeams.Blocked)
	s.t.note("%s blocked Segment Bot in Teams some time ago", blocked.Name)
	if err := s.previewAndSend(demoBroadcast, "Welcome week"); err != nil {
		return err
	}
	report, others, err := s.followBroadcast("Welcome week")
	if err != nil {
		return err
	}
	s.bcastReport, s.bcastCopies = report, others
	if err := s.showBroadcast(); err != nil {
		return err
	}
	s.t.note("Ben would rather not get these: he taps Opt out under the message he got")
	if err := s.tap(s.p.newcomer, s.benCopy, "Opt out"); err != nil {
		return err
	}
	_, err = s.say(s.p.admin, "broadcasts")
	return err
}

// previewAndSend is Ada writing a broadcast (text) named name and tapping
// Send now on its preview; followBroadcast shows what follows.
func (s *story) previewAndSend(text, name string) error {
	sent, err := s.sayUntil(s.p.admin, text, saying("Preview: "+name))
	if err != nil {
		return err
	}
	var decision map[string]any
	for _, x := range sent {
		if strings.Contains(strings.Join(sentLines(x), "\n"), "Preview: "+name) {
			decision = x.Card()
		}
	}
	data, _ := button(decision, "Send now")
	if data == nil {
		return fmt.Errorf("demo: the preview has no Send now button: %v", cardLines(decision))
	}
	s.t.user(s.p.admin, "(taps [Send now])")
	return s.w.post(s.w.kit.Submit(s.p.admin, data))
}

// followBroadcast shows what the people of the story see while the copies
// of the broadcast name go out, and counts the rest, until the report
// replaces the progress card; it returns the report and how many copies
// went to members outside the story's cast. (A second tap on Send now
// would change nothing: the preview is turned into a broadcast once.)
func (s *story) followBroadcast(name string) (map[string]any, int, error) {
	deadline := time.Now().Add(demoSendWait)
	others := map[string]bool{}
	var report map[string]any
	updates := 0 // progress updates; only the first is in the transcript
	for {
		fresh := s.w.kit.Sent()[s.w.seen:]
		s.w.seen += len(fresh)
		done := false
		for _, x := range fresh {
			lines := strings.Join(sentLines(x), "\n")
			if s.t.names[x.ConversationID] == "" {
				others[x.ConversationID] = true
				continue
			}
			if x.ConversationID == faketeams.PersonalConversation(s.p.newcomer) && strings.Contains(lines, "Welcome to Contoso") {
				s.benCopy = x.Card()
			}
			if strings.Contains(lines, name+": sent") {
				report, done = x.Card(), true
				if updates > 1 {
					s.t.note("the card was updated in place %d more times, at most once a second", updates-1)
				}
			} else if x.Method == http.MethodPut && strings.Contains(lines, "Sending "+name) {
				if updates++; updates > 1 {
					continue
				}
			}
			s.t.bot(x)
		}
		if done {
			s.t.note("and the same message, with its Opt out button, to %s", segmentbot.Counted(int64(len(others)), "other member"))
			return report, len(others), nil
		}
		if time.Now().After(deadline) {
			return nil, 0, fmt.Errorf("demo: no report of %s after %s (%d copies seen)", name, demoSendWait, len(others))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// showBroadcast shows the broadcast as the REST API and the report's file
// give it.
func (s *story) showBroadcast() error {
	var list struct{ Broadcasts []segmentbot.Broadcast }
	if err := s.w.api(http.MethodGet, "/v1/broadcasts", &list); err != nil {
		return err
	}
	var b segmentbot.Broadcast
	for _, x := range list.Broadcasts {
		if x.Name == "Welcome week" {
			b = x
		}
	}
	if err := s.w.api(http.MethodGet, fmt.Sprintf("/v1/broadcasts/%d", b.ID), &b); err != nil {
		return err
	}
	s.bcastID = b.ID
	s.t.note("REST GET /v1/broadcasts/%d: %s; audience %d, sent %d, failed %d, skipped %d, pending %d, failed_by_reason %v",
		b.ID, b.Status, b.Audience, b.Sent, b.Failed, b.Skipped, b.Pending, b.FailedByReason)
	_, link := button(s.bcastReport, "Download deliveries.csv")
	if link == "" {
		return fmt.Errorf("demo: the broadcast report has no deliveries.csv link")
	}
	lines, err := s.w.download(link, s.dir, "deliveries.csv")
	if err != nil {
		return err
	}
	s.deliveryRows = lines - 1
	s.t.note("Download deliveries.csv (signed /downloads link) -> deliveries.csv: %s", segmentbot.Counted(int64(lines-1), "row"))
	return nil
}
