package teamstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

const graphScope = "https://graph.microsoft.com/.default"

// GraphUser is a user of the fake Microsoft Graph.
type GraphUser struct {
	ID       string // AAD object id
	UPN      string
	Mail     string
	Name     string
	Disabled bool // accountEnabled=false
}

// AddGraphUser makes u findable by id, UPN and mail.
func (k *Kit) AddGraphUser(u GraphUser) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range []string{u.ID, u.UPN, u.Mail} {
		if key != "" {
			k.graphUsers[strings.ToLower(key)] = u
		}
	}
}

// GraphStatus makes Graph answer status (e.g. 403, 500) for key.
func (k *Kit) GraphStatus(key string, status int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.graphFails[strings.ToLower(key)] = status
}

// ThrottleGraph makes the next n requests inside $batch answer 429 with
// Retry-After: 1.
func (k *Kit) ThrottleGraph(n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.throttle = n
}

func (k *Kit) serveGraph(w http.ResponseWriter, r *http.Request) {
	k.graphRequests.Add(1)
	if !k.authorized(r, graphScope) {
		writeJSON(w, http.StatusUnauthorized, graphError("InvalidAuthenticationToken", "Access token is empty."))
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1.0")
	switch {
	case r.Method == http.MethodPost && path == "/$batch":
		k.serveBatch(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/users/"):
		status, body, _ := k.graphUser(strings.TrimPrefix(path, "/users/"), false)
		writeJSON(w, status, body)
	default:
		writeJSON(w, http.StatusNotFound, graphError("Request_ResourceNotFound", path))
	}
}

func (k *Kit) serveBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Requests []struct {
			ID     string `json:"id"`
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Requests) > 20 {
		writeJSON(w, http.StatusBadRequest, graphError("BadRequest", "invalid batch"))
		return
	}
	out := []map[string]any{}
	for _, q := range in.Requests {
		u, err := url.Parse(q.URL)
		if err != nil || q.Method != http.MethodGet || !strings.HasPrefix(u.Path, "/users/") {
			out = append(out, map[string]any{"id": q.ID, "status": 400, "body": graphError("BadRequest", q.URL)})
			continue
		}
		status, body, headers := k.graphUser(strings.TrimPrefix(u.Path, "/users/"), true)
		resp := map[string]any{"id": q.ID, "status": status, "body": body}
		if headers != nil {
			resp["headers"] = headers
		}
		out = append(out, resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": out})
}

// graphUser answers GET /users/{key}.
func (k *Kit) graphUser(key string, inBatch bool) (int, any, map[string]string) {
	key = strings.ToLower(key)
	k.mu.Lock()
	defer k.mu.Unlock()
	if inBatch && k.throttle > 0 {
		k.throttle--
		return http.StatusTooManyRequests, graphError("TooManyRequests", "throttled"), map[string]string{"Retry-After": "1"}
	}
	if status, ok := k.graphFails[key]; ok {
		return status, graphError("Authorization_RequestDenied", "Insufficient privileges to complete the operation."), nil
	}
	u, ok := k.graphUsers[key]
	if !ok {
		return http.StatusNotFound, graphError("Request_ResourceNotFound", "Resource '"+key+"' does not exist."), nil
	}
	return http.StatusOK, map[string]any{
		"id": u.ID, "displayName": u.Name, "mail": u.Mail, "userPrincipalName": u.UPN, "accountEnabled": !u.Disabled,
	}, nil
}

func graphError(code, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code, "message": msg}}
}
