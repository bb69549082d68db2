package faketeams

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams"
)

const connectorScope = "https://api.botframework.com/.default"

// Sent is one POST or PUT the bot made to the connector.
type Sent struct {
	Method         string
	Path           string // decoded, e.g. /v3/conversations/a:1/activities
	Auth           string // the Authorization header
	ConversationID string
	ActivityID     string // the id the kit answered with (or the PUT's)
	At             time.Time
	Body           []byte
	Activity       map[string]any // Body decoded
}

// Text is the activity's text; Card is the content of its first
// attachment (an Adaptive Card), or nil.
func (s Sent) Text() string {
	t, _ := s.Activity["text"].(string)
	return t
}

// Card returns the content of the first attachment, or nil.
func (s Sent) Card() map[string]any {
	atts, _ := s.Activity["attachments"].([]any)
	if len(atts) == 0 {
		return nil
	}
	att, _ := atts[0].(map[string]any)
	c, _ := att["content"].(map[string]any)
	return c
}

// Sent returns the outbound activities recorded so far.
func (k *Kit) Sent() []Sent {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Sent(nil), k.sent...)
}

// WaitSent waits up to 10 s until at least n activities were sent (replies
// are asynchronous) and returns them; it fails the test on time-out.
func (k *Kit) WaitSent(t TB, n int) []Sent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := k.Sent()
		if len(s) >= n {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("faketeams: %d activities sent, want %d", len(s), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SetRoster sets the members of team, served pageSize at a time.
func (k *Kit) SetRoster(teamID string, members []teams.Member, pageSize int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.roster[teamID] = members
	for _, m := range members {
		k.members[m.ID] = true
	}
	if pageSize > 0 {
		k.pageSize = pageSize
	}
}

func (k *Kit) serveConnector(w http.ResponseWriter, r *http.Request) {
	k.connectorCalls.Add(1)
	status := k.connector(w, r)
	k.mu.Lock()
	k.calls = append(k.calls, Call{Method: r.Method, Path: r.URL.Path, Status: status, At: time.Now()})
	k.mu.Unlock()
}

// connector serves one request and returns the status answered.
func (k *Kit) connector(w http.ResponseWriter, r *http.Request) int {
	if !k.authorized(r, connectorScope) {
		writeJSON(w, http.StatusUnauthorized, errorBody("Unauthorized", "no valid bearer token"))
		return http.StatusUnauthorized
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v3/conversations"), "/")
	// parts: ["", conv, "activities", id?] or [""] for /v3/conversations
	k.mu.Lock()
	f, failed := k.failure("all")
	if !failed && len(parts) >= 3 && parts[2] == "activities" {
		f, failed = k.failure("conv:" + parts[1])
	}
	k.mu.Unlock()
	if failed {
		writeFailure(w, f)
		return f.Status
	}
	switch {
	case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "":
		return k.openConversation(w, r)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "activities":
		return k.record(w, r, parts[1], fmt.Sprintf("kit-activity-%d", k.next()))
	case r.Method == http.MethodPut && len(parts) == 4 && parts[2] == "activities":
		return k.record(w, r, parts[1], parts[3])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[2] == "pagedmembers":
		k.servePage(w, r, parts[1])
		return http.StatusOK
	case r.Method == http.MethodGet && len(parts) == 4 && parts[2] == "members":
		return k.serveMember(w, parts[3])
	default:
		writeJSON(w, http.StatusNotFound, errorBody("NotFound", r.Method+" "+r.URL.Path))
		return http.StatusNotFound
	}
}

// record keeps an activity and answers its id.
func (k *Kit) record(w http.ResponseWriter, r *http.Request, conv, id string) int {
	body, _ := io.ReadAll(r.Body)
	var decoded map[string]any
	if err := json.Unmarshal(body, &decoded); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody("BadArgument", "body is not JSON"))
		return http.StatusBadRequest
	}
	k.mu.Lock()
	delay := k.replyDelay
	k.mu.Unlock()
	if _, reply := decoded["replyToId"]; reply && r.Method == http.MethodPost && delay > 0 {
		time.Sleep(delay)
	}
	k.mu.Lock()
	k.sent = append(k.sent, Sent{
		Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"),
		ConversationID: conv, ActivityID: id, At: time.Now(), Body: body, Activity: decoded,
	})
	k.mu.Unlock()
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]string{"id": id})
	return status
}

// SetProfile makes the member API know m (GET
// /v3/conversations/{id}/members/{user}) beyond the team rosters.
func (k *Kit) SetProfile(m teams.Member) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.profiles[m.ID] = m
}

// serveMember answers the member API from the profiles and the rosters;
// 404 for anyone else, as the connector does for a stranger.
func (k *Kit) serveMember(w http.ResponseWriter, id string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if m, ok := k.profiles[id]; ok {
		writeJSON(w, http.StatusOK, m)
		return http.StatusOK
	}
	for _, members := range k.roster {
		for _, m := range members {
			if m.ID == id {
				writeJSON(w, http.StatusOK, m)
				return http.StatusOK
			}
		}
	}
	writeJSON(w, http.StatusNotFound, errorBody("NotFound", "The member "+id+" is not in the conversation."))
	return http.StatusNotFound
}

func (k *Kit) servePage(w http.ResponseWriter, r *http.Request, team string) {
	k.mu.Lock()
	members, ok := k.roster[team]
	size := k.pageSize
	k.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, errorBody("ConversationNotFound", "no team "+team))
		return
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("pageSize")); err == nil && n > 0 && n < size {
		size = n
	}
	start := 0
	if tok := r.URL.Query().Get("continuationToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || n < 0 || n > len(members) {
			writeJSON(w, http.StatusBadRequest, errorBody("BadArgument", "bad continuationToken"))
			return
		}
		start = n
	}
	end := min(start+size, len(members))
	page := map[string]any{"members": members[start:end]}
	if end < len(members) {
		page["continuationToken"] = fmt.Sprintf("page-%d", end)
	}
	writeJSON(w, http.StatusOK, page)
}

func errorBody(code, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code, "message": msg}}
}
