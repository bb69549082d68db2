package faketeams

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// DefaultDeltaPageSize is how many users a page of the fake users delta
// holds unless SetDeltaPageSize says otherwise (Graph's own default).
const DefaultDeltaPageSize = 100

// dirEntry is a user as the fake directory's delta sees them: the change
// that last touched them, and whether they are gone.
type dirEntry struct {
	user    GraphUser
	seq     int64
	removed bool
}

// deltaState is what a skip or delta token of the fake stands for: the
// changes after Since up to Upto, from Offset on, with Select's
// properties, in Tenant's directory, while Epoch is current.
type deltaState struct {
	Tenant string `json:"t"`
	Since  int64  `json:"s"`
	Upto   int64  `json:"u"`
	Offset int    `json:"o"`
	Select string `json:"sel"`
	Epoch  int    `json:"e"`
	// Extra are users reported once more at the end (AppendToDelta).
	Extra []GraphUser `json:"x,omitempty"`
}

// changeDirectory records a change of u for the delta (k.mu held).
func (k *Kit) changeDirectory(u GraphUser, removed bool) {
	k.dirSeq++
	key := graphKey(u.Tenant, "id:"+u.ID)
	e := k.dirIndex[key]
	if e == nil {
		e = &dirEntry{}
		k.dirIndex[key] = e
		tenant := strings.ToLower(u.Tenant)
		k.directory[tenant] = append(k.directory[tenant], e)
	}
	e.user, e.seq, e.removed = u, k.dirSeq, removed
}

// RemoveGraphUser deletes the user with AAD object id from tenant's
// Graph ("" is TenantID): lookups no longer find them and the next delta
// reports them with @removed.
func (k *Kit) RemoveGraphUser(tenant, id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tenant == "" {
		tenant = TenantID
	}
	e := k.dirIndex[graphKey(tenant, "id:"+id)]
	if e == nil {
		return
	}
	u := e.user
	for _, key := range []string{"id:" + u.ID, "upn:" + u.UPN, "mail:" + u.Mail, "employee:" + u.Employee} {
		if !strings.HasSuffix(key, ":") {
			delete(k.graphUsers, graphKey(u.Tenant, key))
		}
	}
	k.changeDirectory(u, true)
}

// AppendToDelta makes the next first read of the users delta (no token)
// end with u once more, as Graph reports a user again who changed while
// the read went on: u is the newer state. Lookups are not changed.
func (k *Kit) AppendToDelta(u GraphUser) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if u.Tenant == "" {
		u.Tenant = TenantID
	}
	k.deltaExtra = append(k.deltaExtra, u)
}

// SetDeltaPageSize sets how many users a page of the users delta holds.
func (k *Kit) SetDeltaPageSize(n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deltaPageSize = n
}

// ThrottleDelta makes the next n users delta requests answer 429 with
// the given Retry-After ("" for none).
func (k *Kit) ThrottleDelta(n int, retryAfter string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deltaThrottle, k.deltaRetryAfter = n, retryAfter
}

// ExpireDeltaTokens makes every delta and skip token issued so far
// answer 410 Gone (syncStateNotFound), as Graph does when it no longer
// keeps the state a token stands for.
func (k *Kit) ExpireDeltaTokens() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deltaEpoch++
}

// DeltaRequests returns the query of every users delta request so far,
// in order, throttled ones included.
func (k *Kit) DeltaRequests() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.deltaAsks)
}

// serveDelta answers GET /users/delta: the first request ($select, no
// token) reads every user of the tenant; @odata.nextLink pages go on with
// a $skiptoken; the last page gives an @odata.deltaLink whose $deltatoken
// reads the changes after it (removed users with @removed).
func (k *Kit) serveDelta(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deltaAsks = append(k.deltaAsks, r.URL.RawQuery)
	if k.deltaThrottle > 0 {
		k.deltaThrottle--
		if k.deltaRetryAfter != "" {
			w.Header().Set("Retry-After", k.deltaRetryAfter)
		}
		writeJSON(w, http.StatusTooManyRequests, graphError("TooManyRequests", "throttled"))
		return
	}
	st := deltaState{Tenant: strings.ToLower(tenant), Upto: k.dirSeq, Select: q.Get("$select"), Epoch: k.deltaEpoch}
	for _, name := range []string{"$skiptoken", "$deltatoken"} {
		token := q.Get(name)
		if token == "" {
			continue
		}
		var got deltaState
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || json.Unmarshal(raw, &got) != nil || got.Tenant != st.Tenant {
			writeJSON(w, http.StatusBadRequest, graphError("BadRequest", "invalid "+name))
			return
		}
		if got.Epoch != k.deltaEpoch {
			writeJSON(w, http.StatusGone, graphError("syncStateNotFound", "The sync state is no longer available; start a new sync."))
			return
		}
		if name == "$deltatoken" {
			got.Since, got.Upto, got.Offset = got.Upto, k.dirSeq, 0
		}
		st = got
	}
	if q.Get("$skiptoken") == "" && q.Get("$deltatoken") == "" {
		k.recordSelect(st.Select)
		st.Extra, k.deltaExtra = k.deltaExtra, nil
	}
	size := k.deltaPageSize
	if size <= 0 {
		size = DefaultDeltaPageSize
	}
	// The round's users are those changed after Since up to Upto (on a
	// first read, those not removed); the page is the ones from Offset.
	value, n := []any{}, 0
	for _, e := range k.directory[st.Tenant] {
		if e.seq <= st.Since || e.seq > st.Upto || (st.Since == 0 && e.removed) {
			continue
		}
		switch {
		case n < st.Offset || n >= st.Offset+size:
		case e.removed:
			value = append(value, map[string]any{"id": e.user.ID, "@removed": map[string]string{"reason": "changed"}})
		default:
			value = append(value, graphUserJSON(e.user, st.Select))
		}
		n++
	}
	for _, u := range st.Extra {
		if !strings.EqualFold(u.Tenant, st.Tenant) {
			continue
		}
		if n >= st.Offset && n < st.Offset+size {
			value = append(value, graphUserJSON(u, st.Select))
		}
		n++
	}
	end := min(st.Offset+size, n)
	body := map[string]any{"value": value}
	base := k.Graph.URL + "/v1.0/users/delta?"
	if end < n {
		st.Offset = end
		body["@odata.nextLink"] = base + "$skiptoken=" + encodeDelta(st)
	} else {
		body["@odata.deltaLink"] = base + "$deltatoken=" + encodeDelta(deltaState{Tenant: st.Tenant, Upto: st.Upto, Select: st.Select, Epoch: st.Epoch})
	}
	writeJSON(w, http.StatusOK, body)
}

func encodeDelta(st deltaState) string {
	raw, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(raw)
}
