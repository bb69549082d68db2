package importer

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
)

// fakeDirectory answers live lookups from a table keyed by normalised
// value; values not in it are not found.
type fakeDirectory struct {
	users   map[string]*segmentbot.User
	reasons map[string]string
	delay   time.Duration
	fail    int // fail this many calls before answering

	mu     sync.Mutex
	calls  int
	looked []string
}

func (d *fakeDirectory) Lookup(ctx context.Context, tenantID string, misses []segmentbot.Miss) ([]segmentbot.LookupResult, error) {
	d.mu.Lock()
	d.calls++
	failing := d.calls <= d.fail
	d.mu.Unlock()
	if d.delay > 0 {
		time.Sleep(d.delay)
	}
	if failing {
		return nil, fmt.Errorf("graph: 503 service unavailable")
	}
	var results []segmentbot.LookupResult
	for _, m := range misses {
		d.mu.Lock()
		d.looked = append(d.looked, m.Norm)
		d.mu.Unlock()
		res := segmentbot.LookupResult{Miss: m, Reason: segmentbot.ReasonNotFound}
		if u, ok := d.users[m.Norm]; ok {
			copy := *u
			res.User, res.Reason = &copy, ""
		} else if r, ok := d.reasons[m.Norm]; ok {
			res.Reason = r
		}
		results = append(results, res)
	}
	return results, nil
}

func (d *fakeDirectory) Email(ctx context.Context, u *segmentbot.User) (string, error) {
	return u.Email, nil
}

// sent is one message the fake messenger sent or updated.
type sent struct {
	update bool
	id     string
	to     int64
	msg    segmentbot.Message
	at     time.Time
}

// fakeMessenger records what it sends; cannotEdit makes it behave like
// Workplace, which cannot update a sent message.
type fakeMessenger struct {
	cannotEdit bool

	mu   sync.Mutex
	log  []sent
	next int
}

func (m *fakeMessenger) Send(ctx context.Context, to *segmentbot.User, msg segmentbot.Message) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	id := fmt.Sprintf("msg-%d", m.next)
	m.log = append(m.log, sent{id: id, to: to.ID, msg: msg, at: time.Now()})
	return id, nil
}

func (m *fakeMessenger) Update(ctx context.Context, to *segmentbot.User, id string, msg segmentbot.Message) error {
	if m.cannotEdit {
		return segmentbot.Errorf(segmentbot.EINVALID, "this channel cannot edit messages")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, sent{update: true, id: id, to: to.ID, msg: msg, at: time.Now()})
	return nil
}

func (m *fakeMessenger) sent() []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sent(nil), m.log...)
}

// fileHost serves files by path and counts downloads of each.
type fileHost struct {
	*httptest.Server
	mu        sync.Mutex
	files     map[string]string
	downloads map[string]int
}

func newFileHost(t *testing.T) *fileHost {
	h := &fileHost{files: map[string]string{}, downloads: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		body, ok := h.files[r.URL.Path]
		h.downloads[r.URL.Path]++
		h.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Write([]byte(body))
	}))
	t.Cleanup(h.Close)
	return h
}

// put serves content at path and returns its URL.
func (h *fileHost) put(path, content string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files[path] = content
	return h.URL + path
}

func (h *fileHost) count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.downloads[path]
}

func lines(values ...string) string {
	return strings.Join(values, "\r\n") + "\r\n"
}
