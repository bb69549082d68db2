package faketeams

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Failure is an error answer the fake connector or Graph gives instead of
// serving a request: the HTTP status, the code of the {"error":{"code"}}
// envelope, and a Retry-After header ("" for none). Times is how many
// requests get it before serving again; 0 means every one.
type Failure struct {
	Status     int
	Code       string
	RetryAfter string
	Times      int
}

// Failures seen on the wire, for the fakes to answer with.
var (
	// Blocked is the connector's answer to a post to (or an opening of)
	// the chat of a user who blocked the bot.
	Blocked = Failure{Status: http.StatusForbidden, Code: "ConversationBlockedByUser"}
	// BotGone is the answer to a post after the user removed the bot.
	BotGone = Failure{Status: http.StatusForbidden, Code: "BotNotInConversationRoster"}
	// ConversationGone is the answer to a post to a deleted conversation.
	ConversationGone = Failure{Status: http.StatusNotFound, Code: "ConversationNotFound"}
	// Throttled is a 429 asking to wait one second.
	Throttled = Failure{Status: http.StatusTooManyRequests, Code: "TooManyRequests", RetryAfter: "1"}
	// Unavailable is a 503 without Retry-After.
	Unavailable = Failure{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable"}
)

// Opened is one POST /v3/conversations the connector answered with an id.
type Opened struct {
	BotID          string
	MemberID       string
	TenantID       string
	IsGroup        bool
	ConversationID string
	At             time.Time
}

// Call is one request the connector received, refused ones included.
type Call struct {
	Method string
	Path   string // decoded
	Status int
	At     time.Time
}

// KnowMember lets the connector open personal chats with these Teams ids
// (29:...), as it does for every member of a roster set with SetRoster and
// every user an activity of the kit came from. POST /v3/conversations for
// anyone else is refused with 403, as Teams refuses a user who is in none
// of the bot's teams.
func (k *Kit) KnowMember(ids ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		k.members[id] = true
	}
}

// FailConversation makes posts and updates to the conversation answer f.
func (k *Kit) FailConversation(conversationID string, f Failure) {
	k.setFailure(k.failures, "conv:"+conversationID, f)
}

// FailOpen makes POST /v3/conversations for the member (a 29: id) answer f.
func (k *Kit) FailOpen(memberID string, f Failure) {
	k.setFailure(k.failures, "member:"+memberID, f)
}

// FailAll makes every connector request answer f (a 5xx burst, a 429
// storm); FailNext is FailAll of 429s for n requests.
func (k *Kit) FailAll(f Failure) {
	k.setFailure(k.failures, "all", f)
}

func (k *Kit) setFailure(set map[string]Failure, key string, f Failure) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if f.Times == 0 {
		f.Times = -1
	}
	set[key] = f
}

// failure takes one use of the connector failure set for key, if any.
// k.mu is held.
func (k *Kit) failure(key string) (Failure, bool) { return k.failureOf(k.failures, key) }

func writeFailure(w http.ResponseWriter, f Failure) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	writeJSON(w, f.Status, errorBody(f.Code, "the kit was told to refuse this"))
}

// Opened returns the conversations opened so far, in order.
func (k *Kit) Opened() []Opened {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Opened(nil), k.opened...)
}

// Calls returns every connector request so far, in order.
func (k *Kit) Calls() []Call {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Call(nil), k.calls...)
}

// SentTo returns the activities sent to the conversation.
func (k *Kit) SentTo(conversationID string) []Sent {
	var out []Sent
	for _, s := range k.Sent() {
		if s.ConversationID == conversationID {
			out = append(out, s)
		}
	}
	return out
}

// MaxPerWindow is the most activities posted (POST, accepted) within any
// window of length d, e.g. a second, over the whole test: what a rate
// limit must hold.
func (k *Kit) MaxPerWindow(d time.Duration) int {
	var at []time.Time
	for _, s := range k.Sent() {
		if s.Method == http.MethodPost {
			at = append(at, s.At)
		}
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	most, start := 0, 0
	for end := range at {
		for at[end].Sub(at[start]) >= d {
			start++
		}
		most = max(most, end-start+1)
	}
	return most
}

// openConversation answers POST /v3/conversations: the personal chat of
// the one member, the same id for the same member every time (as Teams
// does), or 403 for a member the connector does not know.
func (k *Kit) openConversation(w http.ResponseWriter, r *http.Request) int {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		Bot     struct{ ID string }   `json:"bot"`
		Members []struct{ ID string } `json:"members"`
		IsGroup bool                  `json:"isGroup"`
		Channel struct {
			Tenant struct{ ID string } `json:"tenant"`
		} `json:"channelData"`
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Members) != 1 || !strings.HasPrefix(in.Bot.ID, "28:") || in.Channel.Tenant.ID == "" {
		writeJSON(w, http.StatusBadRequest, errorBody("BadArgument", "want a 28: bot, one member and channelData.tenant.id"))
		return http.StatusBadRequest
	}
	member := in.Members[0].ID
	k.mu.Lock()
	defer k.mu.Unlock()
	if f, ok := k.failure("member:" + member); ok {
		writeFailure(w, f)
		return f.Status
	}
	if !k.members[member] {
		writeJSON(w, http.StatusForbidden, errorBody("Forbidden", "The bot is not part of the conversation roster."))
		return http.StatusForbidden
	}
	id := PersonalConversation(User{ID: member})
	k.opened = append(k.opened, Opened{BotID: in.Bot.ID, MemberID: member, TenantID: in.Channel.Tenant.ID, IsGroup: in.IsGroup, ConversationID: id, At: time.Now()})
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	return http.StatusCreated
}
