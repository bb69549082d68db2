package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// The Workplace / Messenger channel end to end: Meta's webhooks posted to
// the service's real /webhooks/workplace endpoint, replies read from the
// fake Graph's Send API, both in Meta's wire format.

const (
	wpSecret      = "test-secret" // the app secret of the signature vector in bot/workplace/testdata/SOURCES.md
	wpVerifyToken = "verify-token-0123"
	wpAccessToken = "wp-access-token-0123"
	wpCommunity   = "community-1"
	wpPage        = "bot-page-1"
	wpGroup       = "group-staff"
	wpAdminID     = "100001"
)

// wpService is the service with the Workplace channel on, talking to a fake
// Graph.
type wpService struct {
	*service
	graph *workplacetest.Graph
	clock atomic.Int64 // event timestamps: Workplace postbacks carry no mid, so sender and time key them
}

// startWorkplace starts the service against graph, which must be
// configured first: the service may call it from its start.
func startWorkplace(t *testing.T, dsn string, graph *workplacetest.Graph, env map[string]string) *wpService {
	t.Helper()
	vars := map[string]string{
		"WORKPLACE_APP_SECRET":   wpSecret,
		"WORKPLACE_VERIFY_TOKEN": wpVerifyToken,
		"WORKPLACE_ACCESS_TOKEN": wpAccessToken,
		"WORKPLACE_GRAPH_URL":    graph.URL,
		"WORKPLACE_GROUPS":       wpGroup,
		"SEGMENTBOT_ADMINS":      wpAdminID,
	}
	maps.Copy(vars, env)
	return &wpService{service: startService(t, dsn, vars), graph: graph}
}

// wpPerson is someone chatting with the bot: on Workplace with a
// community, on Messenger without.
type wpPerson struct{ ID, Community string }

func (p wpPerson) says(text string) workplacetest.Event {
	return workplacetest.Event{Sender: p.ID, Community: p.Community, Text: text}
}

func (p wpPerson) taps(payload string) workplacetest.Event {
	return workplacetest.Event{Sender: p.ID, Community: p.Community, Postback: payload}
}

func (p wpPerson) sendsFile(fileURL string) workplacetest.Event {
	return workplacetest.Event{Sender: p.ID, Community: p.Community, FileURL: fileURL}
}

// webhook posts body to /webhooks/workplace with headers.
func (w *wpService) webhook(body []byte, headers map[string]string) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/webhooks/workplace", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// deliver posts body signed as Meta signs it, wants 200 and returns the
// Send API calls it caused: the endpoint answers only once every reply went
// out.
func (w *wpService) deliver(body []byte) []workplacetest.Sent {
	w.t.Helper()
	before := len(w.graph.Sent())
	if code, out := w.webhook(body, map[string]string{"X-Hub-Signature-256": workplacetest.Sign(wpSecret, body)}); code != http.StatusOK {
		w.t.Fatalf("webhook: status %d: %s", code, out)
	}
	return w.graph.Sent()[before:]
}

// do delivers what a person did, each event at a later time, and returns
// the replies.
func (w *wpService) do(e workplacetest.Event) []workplacetest.Sent {
	w.t.Helper()
	if e.Timestamp == 0 {
		e.Timestamp = 1700000000000 + w.clock.Add(1000)
	}
	if e.Page == "" {
		e.Page = wpPage
	}
	return w.deliver(workplacetest.Body(e))
}

// wpReply wants the replies to be Send API messages in Meta's format for to,
// typed RESPONSE, and returns their text.
func wpReply(t *testing.T, sent []workplacetest.Sent, to string) string {
	t.Helper()
	if len(sent) == 0 {
		t.Fatalf("no reply to %s", to)
	}
	var text string
	for _, s := range sent {
		wpCheckSent(t, s, to, "RESPONSE")
		text += s.Text()
	}
	return text
}

func wpCheckSent(t *testing.T, s workplacetest.Sent, to, messagingType string) {
	t.Helper()
	if s.Recipient["id"] != to || s.MessagingType != messagingType {
		t.Errorf("sent to %v as %s; want %s as %s", s.Recipient, s.MessagingType, to, messagingType)
	}
	if err := workplacetest.CheckMessage(s.Message); err != nil {
		t.Errorf("not a Send API message: %v", err)
	}
}

// wpButton finds the button titled title in the messages.
func wpButton(t *testing.T, sent []workplacetest.Sent, title string) map[string]any {
	t.Helper()
	for _, s := range sent {
		if b := s.Button(title); b != nil {
			return b
		}
	}
	t.Fatalf("no button %q in %v", title, sent)
	return nil
}

func wpFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../bot/workplace/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wpWithPayload puts payload in place of a fixture's developer-defined one.
func wpWithPayload(body []byte, old, payload string) []byte {
	quoted, _ := json.Marshal(payload)
	return bytes.Replace(body, []byte(`"payload": "`+old+`"`), append([]byte(`"payload": `), quoted...), 1)
}

func TestWorkplaceWebhookVerification(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		w := startWorkplace(t, dsn, workplacetest.NewGraph(t, wpAccessToken), nil)
		tests := []struct {
			name, mode, token string
			wantCode          int
			wantBody          string
		}{
			{"the matching token gets the challenge echoed as text", "subscribe", wpVerifyToken, 200, "1158201444"},
			{"a wrong token is forbidden", "subscribe", "guess", 403, ""},
			{"an empty token is forbidden", "subscribe", "", 403, ""},
			{"another mode is forbidden", "unsubscribe", wpVerifyToken, 403, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := url.Values{"hub.mode": {tt.mode}, "hub.verify_token": {tt.token}, "hub.challenge": {"1158201444"}}
				resp, err := http.Get(w.srv.URL + "/webhooks/workplace?" + q.Encode())
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tt.wantCode || (tt.wantBody != "" && string(body) != tt.wantBody) {
					t.Fatalf("got %d %q; want %d %q", resp.StatusCode, body, tt.wantCode, tt.wantBody)
				}
				if tt.wantBody != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
					t.Errorf("challenge served as %q; want text/plain", resp.Header.Get("Content-Type"))
				}
			})
		}
	})
}

func TestWorkplaceWebhookSignatures(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		w := startWorkplace(t, dsn, workplacetest.NewGraph(t, wpAccessToken), nil)
		vector := wpFixture(t, "message_text.json") // signed with "test-secret" in SOURCES.md
		const vector256 = "sha256=27bd2580d9c5ecf3ef1f2a8380e57266e01962e03087c45b9810e0380728768f"
		const vector1 = "sha1=1706b8930331ecc2789122ba9e39282dc9b54b8f"
		if got := workplacetest.Sign(wpSecret, vector); got != vector256 {
			t.Fatalf("the kit signs the fixture as %s; SOURCES.md says %s", got, vector256)
		}
		tampered := bytes.Replace(vector, []byte(`"text": "text"`), []byte(`"text": "unsubscribe"`), 1)
		refused := []struct {
			name    string
			body    []byte
			headers map[string]string
		}{
			{"a tampered body", tampered, map[string]string{"X-Hub-Signature-256": vector256}},
			{"the body without its final newline", bytes.TrimSuffix(vector, []byte("\n")), map[string]string{"X-Hub-Signature-256": vector256}},
			{"a wrong secret", vector, map[string]string{"X-Hub-Signature-256": workplacetest.Sign("other-secret", vector)}},
			{"no signature header", vector, nil},
			{"a sha1 header of a wrong secret", vector, map[string]string{"X-Hub-Signature": workplacetest.SignSHA1("other-secret", vector)}},
			{"a wrong sha256 beside a right sha1", vector, map[string]string{"X-Hub-Signature-256": workplacetest.Sign("other-secret", vector), "X-Hub-Signature": vector1}},
			{"a digest without its prefix", vector, map[string]string{"X-Hub-Signature-256": strings.TrimPrefix(vector256, "sha256=")}},
		}
		for _, tt := range refused {
			t.Run(tt.name+" is forbidden and changes nothing", func(t *testing.T) {
				if code, body := w.webhook(tt.body, tt.headers); code != http.StatusForbidden {
					t.Fatalf("status %d %s; want 403", code, body)
				}
			})
		}
		if _, err := w.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelWorkplace, "sender_id"); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
			t.Fatalf("a refused webhook stored its sender: %v", err)
		}
		for _, r := range w.graph.Requests() {
			if strings.Contains(r, "/me/messages") || strings.Contains(r, "sender_id") {
				t.Fatalf("a refused webhook caused the Graph call %s", r)
			}
		}

		t.Run("the documented vector is accepted and answered", func(t *testing.T) {
			if code, body := w.webhook(vector, map[string]string{"X-Hub-Signature-256": vector256}); code != http.StatusOK {
				t.Fatalf("status %d %s", code, body)
			}
			wantIn(t, wpReply(t, w.graph.Sent(), "sender_id"), "What you can do here")
		})
		t.Run("a redelivery of it is accepted and not answered twice", func(t *testing.T) {
			if code, _ := w.webhook(vector, map[string]string{"X-Hub-Signature": vector1}); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if n := len(w.graph.Sent()); n != 1 {
				t.Fatalf("%d replies for one event delivered twice", n)
			}
		})
		t.Run("a legacy sha1 signature alone is accepted", func(t *testing.T) {
			body := workplacetest.Body(wpPerson{"100077", wpCommunity}.says("help"))
			before := len(w.graph.Sent())
			if code, out := w.webhook(body, map[string]string{"X-Hub-Signature": workplacetest.SignSHA1(wpSecret, body)}); code != http.StatusOK {
				t.Fatalf("status %d %s", code, out)
			}
			wantIn(t, wpReply(t, w.graph.Sent()[before:], "100077"), "my segments")
		})
	})
}

func TestWorkplaceFixtureEventsAreAnsweredThroughTheSendAPI(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		// USER_ID, the sender of the Messenger file fixture, is an admin,
		// so the file is answered rather than refused.
		w := startWorkplace(t, dsn, workplacetest.NewGraph(t, wpAccessToken), map[string]string{"SEGMENTBOT_ADMINS": wpAdminID + ",USER_ID"})
		var seg segmentbot.Segment
		if code := w.api("POST", "/v1/segments", map[string]string{"name": "Canteen menu"}, &seg); code != http.StatusCreated {
			t.Fatalf("create segment: %d", code)
		}
		var card struct{ Messages []map[string]any }
		w.api("GET", fmt.Sprintf("/v1/segments/%d/card?format=workplace", seg.ID), nil, &card)
		if len(card.Messages) != 1 {
			t.Fatalf("card: %v", card)
		}
		optIn, _ := workplacetest.FindButton(card.Messages[0], "Opt in")["payload"].(string)

		tests := []struct {
			name   string
			body   []byte
			sender string
			want   []string
		}{
			{"a Workplace text message gets the help", wpFixture(t, "message_text.json"), "sender_id",
				[]string{"What you can do here", "My segments", "Open segments"}},
			{"a Workplace postback with the card's Opt in payload joins", wpWithPayload(wpFixture(t, "postback.json"), "payload", optIn), "sender_id",
				[]string{"You're in: Canteen menu"}},
			{"a quick reply with a say payload runs that text", wpWrapMessaging(wpWithPayload(wpFixture(t, "quick_reply.json"), "<DEVELOPER_DEFINED_PAYLOAD>", `{"say":"my segments"}`)), "<PSID>",
				[]string{"You're not subscribed to anything yet"}},
			{"a quick reply with a foreign payload reads as its text", wpWrapMessaging(anotherMID(wpFixture(t, "quick_reply.json"))), "<PSID>",
				[]string{"What you can do here"}},
			{"a file attachment that is not a CSV is explained", wpFixture(t, "message_file_attachment_full_body.json"), "USER_ID",
				[]string{"file.pdf is not a CSV file"}},
			{"a file attachment entry from the Messenger docs is refused to a non-admin", wpWrapEntry(wpFixture(t, "message_file_attachment.json")), "<PSID>",
				[]string{"only admins"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantIn(t, wpReply(t, w.deliver(tt.body), tt.sender), tt.want...)
			})
		}
		t.Run("the postback's sender is the member", func(t *testing.T) {
			var members struct{ Members []segmentbot.Member }
			w.api("GET", fmt.Sprintf("/v1/segments/%d/members", seg.ID), nil, &members)
			if len(members.Members) != 1 || members.Members[0].Source != segmentbot.SourceButton {
				t.Fatalf("members: %+v", members)
			}
			u, err := w.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelWorkplace, "sender_id")
			if err != nil || u.TenantID != "community_id" || members.Members[0].UserID != u.ID {
				t.Fatalf("stored sender %+v, %v; want the member, of community_id", u, err)
			}
		})
	})
}

// anotherMID gives the quick reply fixture a new message id: a second
// delivery of the same id would be a redelivery, handled once.
func anotherMID(body []byte) []byte {
	return bytes.Replace(body, []byte("41d102a3e1ae206a38"), []byte("41d102a3e1ae206a39"), 1)
}

func wpWrapEntry(entry []byte) []byte {
	return []byte(`{"object":"page","entry":[` + string(entry) + `]}`)
}

func wpWrapMessaging(event []byte) []byte {
	return wpWrapEntry([]byte(`{"id":"PAGE_ID","time":1458692752478,"messaging":[` + string(event) + `]}`))
}

func TestWorkplaceOptInOutByPostbackAndKeyword(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		graph := workplacetest.NewGraph(t, wpAccessToken)
		graph.Members = []workplacetest.Member{{ID: "100021", Name: "Wendy", Email: "wendy@acme.example"}}
		graph.Groups[wpGroup] = []string{"100021"}
		w := startWorkplace(t, dsn, graph, nil)

		var seg segmentbot.Segment
		if code := w.api("POST", "/v1/segments", map[string]string{"name": "Newsletter"}, &seg); code != http.StatusCreated {
			t.Fatalf("create segment: %d", code)
		}
		var card struct{ Messages []map[string]any }
		if code := w.api("GET", fmt.Sprintf("/v1/segments/%d/card?format=workplace", seg.ID), nil, &card); code != 200 || len(card.Messages) != 1 {
			t.Fatalf("card: %d %v", code, card)
		}
		if err := workplacetest.CheckMessage(card.Messages[0]); err != nil {
			t.Fatalf("the card is not a Send API message: %v", err)
		}
		payload := func(title string) string {
			p, _ := workplacetest.FindButton(card.Messages[0], title)["payload"].(string)
			if p == "" {
				t.Fatalf("no %s postback in %v", title, card.Messages[0])
			}
			return p
		}
		optIn, optOut := payload("Opt in"), payload("Opt out")
		members := func() []segmentbot.Member {
			var out struct{ Members []segmentbot.Member }
			w.api("GET", fmt.Sprintf("/v1/segments/%d/members", seg.ID), nil, &out)
			return out.Members
		}
		wendy := wpPerson{"100021", wpCommunity}

		t.Run("Opt in by postback joins and confirms", func(t *testing.T) {
			wantIn(t, wpReply(t, w.do(wendy.taps(optIn)), wendy.ID), "You're in: Newsletter")
			if m := members(); len(m) != 1 || m[0].Source != segmentbot.SourceButton {
				t.Fatalf("members: %+v", m)
			}
		})
		t.Run("Opt out by postback leaves", func(t *testing.T) {
			wantIn(t, wpReply(t, w.do(wendy.taps(optOut)), wendy.ID), "You're out: Newsletter")
			if m := members(); len(m) != 0 {
				t.Fatalf("members: %+v", m)
			}
		})
		t.Run("unsubscribe leaves everything and Resubscribe brings her back", func(t *testing.T) {
			w.do(wendy.taps(optIn))
			sent := w.do(wendy.says("Unsubscribe"))
			wantIn(t, wpReply(t, sent, wendy.ID), "You left: Newsletter", "Resubscribe")
			if m := members(); len(m) != 0 {
				t.Fatalf("members after unsubscribe: %+v", m)
			}
			back, _ := wpButton(t, sent, "Resubscribe")["payload"].(string)
			wantIn(t, wpReply(t, w.do(wendy.taps(back)), wendy.ID), "Welcome back", "Newsletter")
			if m := members(); len(m) != 1 || m[0].Source != segmentbot.SourceResubscribe {
				t.Fatalf("members after Resubscribe: %+v", m)
			}
		})
		t.Run("a tampered postback changes nothing", func(t *testing.T) {
			var a map[string]any
			if err := json.Unmarshal([]byte(optOut), &a); err != nil {
				t.Fatal(err)
			}
			a["segment_id"] = float64(seg.ID + 1)
			evil, _ := json.Marshal(a)
			wantIn(t, wpReply(t, w.do(wendy.taps(string(evil))), wendy.ID), "not valid")
			if m := members(); len(m) != 1 {
				t.Fatalf("members: %+v", m)
			}
		})
		t.Run("a redelivered postback is one change and one reply", func(t *testing.T) {
			body := workplacetest.Body(workplacetest.Event{Sender: wendy.ID, Community: wpCommunity, Page: wpPage, Timestamp: 1800000000000, Postback: optOut})
			if n := len(w.deliver(body)); n != 1 {
				t.Fatalf("%d replies to the first delivery", n)
			}
			if n := len(w.deliver(body)); n != 0 {
				t.Fatalf("%d replies to a redelivery", n)
			}
		})
		t.Run("a Messenger user (no community) opts in and out too", func(t *testing.T) {
			mia := wpPerson{ID: "PSID-7001"}
			wantIn(t, wpReply(t, w.do(mia.taps(optIn)), mia.ID), "You're in: Newsletter")
			u, err := w.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelWorkplace, mia.ID)
			if err != nil || u.TenantID != wpPage {
				t.Fatalf("stored Messenger user %+v, %v; want the page %s as tenant", u, err, wpPage)
			}
			wantIn(t, wpReply(t, w.do(mia.says("stop")), mia.ID), "You left: Newsletter")
			for _, m := range members() {
				if m.UserID == u.ID {
					t.Fatalf("still a member after stop: %+v", m)
				}
			}
		})
	})
}

func TestWorkplaceAdminImportsACSVWithEveryFailureReason(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		graph := workplacetest.NewGraph(t, wpAccessToken)
		graph.Members = []workplacetest.Member{
			{ID: wpAdminID, Name: "Ada Admin", Email: "ada@acme.example"},
			{ID: "100011", Name: "Ann", Email: "ann@acme.example"},
			{ID: "100012", Name: "Bob", Email: "bob@acme.example"},
			{ID: "100013", Name: "Carl", Email: "carl@acme.example", AccountStatus: "deactivated"},
			{ID: "100014", Name: "Dora", Email: "dora@acme.example"}, // in the community, not in the bot's group
			{ID: "100015", Name: "Eve", Email: "eve@acme.example"},
		}
		graph.Groups[wpGroup] = []string{wpAdminID, "100011", "100012", "100015"}
		// The fake fails a batch with the error of its first failing id
		// (misses are asked in sorted order), so an unknown alias (803)
		// comes first and the lookups fall back to one call per value.
		graph.Fail["ghost@acme.example"] = workplacetest.ErrNoMatchingUser // 100
		graph.Fail["private@acme.example"] = workplacetest.ErrPermission   // 200
		graph.Fail["secret@acme.example"] = workplacetest.ErrPermission10  // 10
		files := fileHost(t, map[string]string{"/staff.csv": strings.Join([]string{
			"Email", "ann@acme.example", "BOB@acme.example", "ann@acme.example", "not-an-email@",
			"absent@acme.example", "ghost@acme.example", "carl@acme.example", "dora@acme.example",
			"private@acme.example", "secret@acme.example", "100015",
		}, "\r\n")})
		w := startWorkplace(t, dsn, graph, nil)
		ada := wpPerson{wpAdminID, wpCommunity}

		wantIn(t, wpReply(t, w.do(ada.says("create segment Staff")), ada.ID), "Segment created: Staff")
		ask := w.do(ada.sendsFile(files.URL + "/staff.csv"))
		wantIn(t, wpReply(t, ask, ada.ID), "Which segment should I fill with staff.csv?", "Staff")
		pick, _ := wpButton(t, ask, "Staff")["payload"].(string)
		before := len(graph.Sent())
		// The worker may post its first milestone before the reply is out.
		wantIn(t, wpReply(t, wpOfType(w.do(ada.taps(pick)), "RESPONSE"), ada.ID), "importing staff.csv into Staff")

		var segs struct {
			Segments []struct {
				ID         int64
				LastImport *struct{ ID int64 } `json:"last_import"`
			}
		}
		if w.api("GET", "/v1/segments", nil, &segs); len(segs.Segments) != 1 || segs.Segments[0].LastImport == nil {
			t.Fatalf("no import queued: %+v", segs)
		}
		imp := w.waitImport(segs.Segments[0].LastImport.ID)
		want := map[string]float64{"total": 11, "added": 3, "duplicates": 1, "failed": 7, "already_member": 0, "skipped_opted_out": 0}
		for k, v := range want {
			if imp[k] != v {
				t.Errorf("import %s = %v, want %v (%v)", k, imp[k], v, imp)
			}
		}
		if imp["status"] != segmentbot.ImportCompletedWithErrors {
			t.Errorf("status %v", imp["status"])
		}
		reasons, _ := imp["failed_by_reason"].(map[string]any)
		wantReasons := map[string]float64{segmentbot.ReasonInvalid: 1, segmentbot.ReasonNotFound: 2, segmentbot.ReasonPermissionDenied: 2,
			segmentbot.ReasonLeftTenant: 1, segmentbot.ReasonNotInBotGroups: 1}
		for r, n := range wantReasons {
			if reasons[r] != n {
				t.Errorf("failed_by_reason[%s] = %v, want %v (%v)", r, reasons[r], n, reasons)
			}
		}

		// Meta cannot edit a message: the progress is a start milestone and
		// the report a new message, each sent proactively (UPDATE).
		report := w.waitReport(before, "Download report")
		updates := wpOfType(graph.Sent()[before:], "UPDATE")
		var all string
		for _, s := range updates {
			wpCheckSent(t, s, ada.ID, "UPDATE")
			all += s.Text()
		}
		if len(updates) < 2 || updates[len(updates)-1].Button("Download report") == nil {
			t.Errorf("want milestones and then the report, got %d messages: %v", len(updates), updates)
		}
		wantIn(t, all, "Importing into Staff", "Import into Staff: completed with errors", "File: staff.csv",
			"Total rows: 11", "Added: 3", "Duplicates: 1", "Failed: 7",
			"not a user of the organisation: 2", "lacks the permission to read user info: 2", "and 2 more reasons: see the report",
			"Download report", "Download list of us…") // button titles stop at 20 characters
		for _, r := range graph.Requests() {
			if !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "POST /me/messages?") {
				t.Errorf("unexpected Graph call %s: Meta has no message edits", r)
			}
		}

		users, _ := report.Button("Download list of us…")["url"].(string)
		code, list := w.get(users)
		if code != 200 {
			t.Fatalf("list of users download %s: %d", users, code)
		}
		wantIn(t, list, "ann@acme.example", "bob@acme.example", "eve@acme.example")
		if strings.Contains(list, "dora@") || strings.Contains(list, "carl@") {
			t.Errorf("failed rows became members: %s", list)
		}
		link, _ := report.Button("Download report")["url"].(string)
		code, csv := w.get(link)
		if code != 200 {
			t.Fatalf("report download %s: %d", link, code)
		}
		wantIn(t, csv, "row,value,outcome,reason", "1,ann@acme.example,added", "2,BOB@acme.example,added",
			"3,ann@acme.example,duplicate", "4,not-an-email@,failed,invalid",
			"5,absent@acme.example,failed,not_found", "6,ghost@acme.example,failed,not_found",
			"7,carl@acme.example,failed,left_tenant", "8,dora@acme.example,failed,not_in_bot_groups",
			"9,private@acme.example,failed,permission_denied", "10,secret@acme.example,failed,permission_denied",
			"11,100015,added")
		if code, _ := w.get(link + "x"); code == 200 {
			t.Errorf("a tampered report link was served")
		}
	})
}

// wpOfType keeps the messages of one messaging type: RESPONSE for replies,
// UPDATE for what the bot sends on its own.
func wpOfType(sent []workplacetest.Sent, messagingType string) []workplacetest.Sent {
	var out []workplacetest.Sent
	for _, s := range sent {
		if s.MessagingType == messagingType {
			out = append(out, s)
		}
	}
	return out
}

// waitReport waits until a message sent after the first before ones has a
// button titled title, and returns it.
func (w *wpService) waitReport(before int, title string) workplacetest.Sent {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range w.graph.Sent()[before:] {
			if s.Button(title) != nil {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("no message with %q after %d: %v", title, before, w.graph.Sent()[before:])
	return workplacetest.Sent{}
}
