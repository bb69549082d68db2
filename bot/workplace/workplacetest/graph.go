package workplacetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Member is a member of the fake community.
type Member struct {
	ID            string
	Name          string
	Email         string
	AccountStatus string // e.g. "deactivated"; empty for an active account
	// Attributes are further fields by name ("department", "title",
	// "division", "location", "locale"), answered when asked for.
	Attributes map[string]string
}

// Error is a Graph error answer: the HTTP status and the error envelope.
type Error struct {
	Status  int
	Code    int
	Subcode int
	Message string
}

// Errors seen in Meta's fixtures, for the fake to answer with.
var (
	ErrUnknownAlias      = Error{Status: 404, Code: 803, Message: "(#803) Some of the aliases you requested do not exist"}
	ErrNoMatchingUser    = Error{Status: 400, Code: 100, Subcode: 2018001, Message: "(#100) No matching user found"}
	ErrPersonUnavailable = Error{Status: 400, Code: 551, Message: "(#551) This person isn't available right now."}
	ErrPermission        = Error{Status: 403, Code: 200, Message: "(#200) The user hasn't authorized the application to perform this action"}
	ErrPermission10      = Error{Status: 403, Code: 10, Message: "(#10) Permission denied"}
	ErrTooManyCalls      = Error{Status: 400, Code: 4, Message: "(#4) Application request limit reached"}
	ErrCallsExceeded     = Error{Status: 400, Code: 613, Message: "(#613) Calls to this api have exceeded the rate limit."}
	ErrThrottled         = Error{Status: 429, Code: 4, Message: "(#4) Too many requests"}
	ErrUserRateLimit     = Error{Status: 400, Code: 17, Message: "(#17) User request limit reached"}
	ErrPageRateLimit     = Error{Status: 400, Code: 32, Message: "(#32) Page request limit reached"}
	ErrTransient         = Error{Status: 500, Code: 2, Message: "An unexpected error has occurred. Please retry your request later."}
	ErrBadToken          = Error{Status: 401, Code: 190, Message: "Invalid OAuth access token."}
)

// Sent is one Send API call the fake received.
type Sent struct {
	Recipient     map[string]string
	MessagingType string
	Message       map[string]any
	ID            string    // the message_id answered
	At            time.Time // when it arrived
}

// Graph is a fake Workplace Graph API. Configure it before the first call;
// read it after the calls returned. Unknown paths get Graph's 803 error.
type Graph struct {
	URL   string
	Token string // the access token every call must carry

	Members  []Member
	Groups   map[string][]string // group id -> member ids
	PageSize int                 // members per group page; 0 = 2
	// PagingHost, when set, is the host of paging.next links instead of
	// the fake's own (to test that a client refuses to follow them).
	PagingHost string

	// Fail answers calls about a value (email, id, or the Send API
	// recipient id) with an error; a batch naming it fails as a whole.
	Fail map[string]Error
	// FailTimes limits a Send API failure in Fail to that many calls for
	// the recipient, after which it is served (absent or 0: every call).
	FailTimes map[string]int
	// Throttle answers the next calls with these errors, in order, before
	// serving normally.
	Throttle []Error

	mu       sync.Mutex
	sent     []Sent
	requests []string
}

// NewGraph starts a fake Graph on loopback for the length of the test.
func NewGraph(t testing.TB, token string) *Graph {
	g := &Graph{Token: token, Groups: map[string][]string{}, Fail: map[string]Error{}}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// SentTo returns the Send API messages delivered to the recipient id.
func (g *Graph) SentTo(id string) []Sent {
	var out []Sent
	for _, s := range g.Sent() {
		if s.Recipient["id"] == id {
			out = append(out, s)
		}
	}
	return out
}

// Sent returns the Send API calls received, in order.
func (g *Graph) Sent() []Sent {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Sent(nil), g.sent...)
}

// Requests returns "METHOD /path?query" of every call, in order.
func (g *Graph) Requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.requests...)
}

func (g *Graph) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	if !g.authorised(r) {
		writeError(w, ErrBadToken)
		return
	}
	if len(g.Throttle) > 0 {
		e := g.Throttle[0]
		g.Throttle = g.Throttle[1:]
		writeError(w, e)
		return
	}
	path := strings.Trim(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodPost && path == "me/messages":
		g.send(w, r)
	case r.Method != http.MethodGet:
		writeError(w, Error{Status: 400, Code: 100, Message: "Unsupported request"})
	case path == "":
		g.batch(w, r)
	case strings.HasSuffix(path, "/members"):
		g.groupPage(w, r, strings.TrimSuffix(path, "/members"))
	default:
		g.one(w, r, path)
	}
}

func (g *Graph) authorised(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+g.Token || r.URL.Query().Get("access_token") == g.Token
}

func (g *Graph) send(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Recipient     map[string]string `json:"recipient"`
		MessagingType string            `json:"messaging_type"`
		Message       map[string]any    `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Message) == 0 {
		writeError(w, Error{Status: 400, Code: 100, Message: "(#100) param message must be non-empty"})
		return
	}
	to := req.Recipient["id"]
	if e, ok := g.Fail[to]; ok && g.FailTimes[to] >= 0 {
		if n := g.FailTimes[to]; n == 1 {
			g.FailTimes[to] = -1 // used up: serve from now on
		} else if n > 1 {
			g.FailTimes[to] = n - 1
		}
		writeError(w, e)
		return
	}
	id := fmt.Sprintf("m_%d", len(g.sent)+1)
	g.sent = append(g.sent, Sent{Recipient: req.Recipient, MessagingType: req.MessagingType, Message: req.Message, ID: id, At: time.Now()})
	writeJSON(w, 200, map[string]string{"recipient_id": req.Recipient["id"], "message_id": id})
}

// batch answers GET /?ids=a,b like the Graph: one object keyed by the ids
// asked, or one error for all when any of them fails.
func (g *Graph) batch(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
		m, e := g.find(id)
		if e != nil {
			writeError(w, *e)
			return
		}
		out[id] = fields(m, r.URL.Query().Get("fields"))
	}
	writeJSON(w, 200, out)
}

func (g *Graph) one(w http.ResponseWriter, r *http.Request, id string) {
	id, _ = url.PathUnescape(id)
	m, e := g.find(id)
	if e != nil {
		writeError(w, *e)
		return
	}
	writeJSON(w, 200, fields(m, r.URL.Query().Get("fields")))
}

func (g *Graph) find(id string) (*Member, *Error) {
	if e, ok := g.Fail[id]; ok {
		return nil, &e
	}
	for i, m := range g.Members {
		if m.ID == id || strings.EqualFold(m.Email, id) {
			return &g.Members[i], nil
		}
	}
	e := ErrUnknownAlias
	e.Message += ": " + id
	return nil, &e
}

// groupPage serves one page of a group's members with a paging.next link
// carrying an "after" cursor, as the Graph does.
func (g *Graph) groupPage(w http.ResponseWriter, r *http.Request, group string) {
	ids, ok := g.Groups[group]
	if !ok {
		writeError(w, ErrUnknownAlias)
		return
	}
	size := g.PageSize
	if size == 0 {
		size = 2
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	end := min(after+size, len(ids))
	data := []any{}
	for _, id := range ids[after:end] {
		m, e := g.find(id)
		if e != nil {
			continue
		}
		data = append(data, fields(m, r.URL.Query().Get("fields")))
	}
	page := map[string]any{"data": data}
	if end < len(ids) {
		next := *r.URL
		next.Scheme, next.Host = "http", r.Host
		if g.PagingHost != "" {
			next.Host = g.PagingHost
		}
		q := next.Query()
		q.Set("after", strconv.Itoa(end))
		next.RawQuery = q.Encode()
		page["paging"] = map[string]any{"cursors": map[string]string{"after": strconv.Itoa(end)}, "next": next.String()}
	}
	writeJSON(w, 200, page)
}

// fields renders the member with the fields asked for, as the Graph does:
// a field without a value is left out.
func fields(m *Member, list string) map[string]string {
	all := map[string]string{"id": m.ID, "name": m.Name, "email": m.Email, "account_status": m.AccountStatus}
	for k, v := range m.Attributes {
		all[k] = v
	}
	out := map[string]string{"id": m.ID}
	for _, f := range strings.Split(list, ",") {
		if v := all[f]; v != "" {
			out[f] = v
		}
	}
	return out
}

func writeError(w http.ResponseWriter, e Error) {
	env := map[string]any{"message": e.Message, "type": "OAuthException", "code": e.Code, "fbtrace_id": "AX7LwGmBMuz"}
	if e.Subcode != 0 {
		env["error_subcode"] = e.Subcode
	}
	writeJSON(w, e.Status, map[string]any{"error": env})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
