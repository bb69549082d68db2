package faketeams

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

const graphScope = "https://graph.microsoft.com/.default"

// GraphUser is a user of the fake Microsoft Graph.
type GraphUser struct {
	ID       string // AAD object id
	UPN      string
	Mail     string
	Name     string
	Disabled bool   // accountEnabled=false
	Employee string // employeeId, an HR system's id
	Tenant   string // the tenant whose Graph knows the user; "" is TenantID
	// Attributes are further properties by their Graph name
	// ("department", "jobTitle", ...). Graph returns only the properties
	// a request names in $select, and null for a selected one not set.
	Attributes map[string]string
}

// AddGraphUser makes u findable as Graph finds users: GET /users/{key}
// by id or UPN, and GET /users?$filter= by mail, userPrincipalName or
// employeeId. Values are compared as stored (case aside): an address held
// with a Unicode domain is not found by its ASCII form, as in Graph.
func (k *Kit) AddGraphUser(u GraphUser) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if u.Tenant == "" {
		u.Tenant = TenantID
	}
	for _, key := range []string{"id:" + u.ID, "upn:" + u.UPN, "mail:" + u.Mail, "employee:" + u.Employee} {
		if !strings.HasSuffix(key, ":") {
			k.graphUsers[graphKey(u.Tenant, key)] = u
		}
	}
	k.changeDirectory(u, false)
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
	if m := installedAppsPath.FindStringSubmatch(path); m != nil {
		k.serveInstalledApps(w, r, m)
		return
	}
	tenant := k.tenantOf(r)
	switch {
	case r.Method == http.MethodGet && path == "/users/delta":
		k.serveDelta(w, r, tenant)
	case r.Method == http.MethodPost && path == "/$batch":
		k.serveBatch(w, r, tenant)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/users/"):
		status, body, _ := k.graphUser(tenant, strings.TrimPrefix(path, "/users/"), r.URL.Query().Get("$select"), false)
		writeJSON(w, status, body)
	case r.Method == http.MethodGet && path == "/users":
		status, body, _ := k.graphFilter(tenant, r.URL.Query().Get("$filter"), r.URL.Query().Get("$select"), false)
		writeJSON(w, status, body)
	default:
		writeJSON(w, http.StatusNotFound, graphError("Request_ResourceNotFound", path))
	}
}

func (k *Kit) serveBatch(w http.ResponseWriter, r *http.Request, tenant string) {
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
		if err != nil || q.Method != http.MethodGet || (u.Path != "/users" && !strings.HasPrefix(u.Path, "/users/")) {
			out = append(out, map[string]any{"id": q.ID, "status": 400, "body": graphError("BadRequest", q.URL)})
			continue
		}
		var status int
		var body any
		var headers map[string]string
		if u.Path == "/users" {
			status, body, headers = k.graphFilter(tenant, u.Query().Get("$filter"), u.Query().Get("$select"), true)
		} else {
			status, body, headers = k.graphUser(tenant, strings.TrimPrefix(u.Path, "/users/"), u.Query().Get("$select"), true)
		}
		resp := map[string]any{"id": q.ID, "status": status, "body": body}
		if headers != nil {
			resp["headers"] = headers
		}
		out = append(out, resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": out})
}

// graphKey is the key of a user's id, UPN or mail in tenant's Graph.
func graphKey(tenant, key string) string { return strings.ToLower(tenant + "/" + key) }

// graphUser answers GET /users/{key} in tenant's Graph: key is an id or a
// UPN.
func (k *Kit) graphUser(tenant, key, sel string, inBatch bool) (int, any, map[string]string) {
	key = strings.ToLower(key)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.recordSelect(sel)
	if status, body, headers, failed := k.graphFailure([]string{key}, inBatch); failed {
		return status, body, headers
	}
	u, ok := k.graphUsers[graphKey(tenant, "id:"+key)]
	if !ok {
		u, ok = k.graphUsers[graphKey(tenant, "upn:"+key)]
	}
	if !ok {
		return http.StatusNotFound, graphError("Request_ResourceNotFound", "Resource '"+key+"' does not exist."), nil
	}
	return http.StatusOK, graphUserJSON(u, sel), nil
}

// filterTerm is one "property eq 'value'" of a $filter.
var filterTerm = regexp.MustCompile(`^(mail|userPrincipalName|employeeId) eq '((?:[^']|'')*)'$`)

// graphFilter answers GET /users?$filter= in tenant's Graph for terms
// "mail eq 'x'", "userPrincipalName eq 'x'" and "employeeId eq 'x'",
// joined by " or " (a quote inside a value is doubled, as OData writes
// it); any other filter is refused as Graph refuses an unsupported query.
func (k *Kit) graphFilter(tenant, filter, sel string, inBatch bool) (int, any, map[string]string) {
	var keys, values []string
	for _, term := range strings.Split(filter, " or ") {
		m := filterTerm.FindStringSubmatch(term)
		if m == nil {
			return http.StatusBadRequest, graphError("Request_UnsupportedQuery", "Unsupported query: "+filter), nil
		}
		value := strings.ToLower(strings.ReplaceAll(m[2], "''", "'"))
		keys, values = append(keys, map[string]string{"mail": "mail:", "userPrincipalName": "upn:", "employeeId": "employee:"}[m[1]]+value), append(values, value)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.recordSelect(sel)
	if status, body, headers, failed := k.graphFailure(values, inBatch); failed {
		return status, body, headers
	}
	found := []any{}
	seen := map[string]bool{}
	for _, key := range keys {
		if u, ok := k.graphUsers[graphKey(tenant, key)]; ok && !seen[u.ID] {
			seen[u.ID] = true
			found = append(found, graphUserJSON(u, sel))
		}
	}
	return http.StatusOK, map[string]any{"value": found}, nil
}

// graphFailure is the throttling of the request, or the failure set for
// one of the values it asks about, if any.
func (k *Kit) graphFailure(values []string, inBatch bool) (int, any, map[string]string, bool) {
	if inBatch && k.throttle > 0 {
		k.throttle--
		return http.StatusTooManyRequests, graphError("TooManyRequests", "throttled"), map[string]string{"Retry-After": "1"}, true
	}
	for _, v := range values {
		if status, ok := k.graphFails[v]; ok {
			return status, graphError("Authorization_RequestDenied", "Insufficient privileges to complete the operation."), nil, true
		}
	}
	return 0, nil, nil, false
}

// graphUserJSON is u as Graph returns it for a $select of sel: the
// identity properties, and of the others those sel names (null when u has
// none).
func graphUserJSON(u GraphUser, sel string) map[string]any {
	out := map[string]any{"id": u.ID, "displayName": u.Name, "mail": u.Mail, "userPrincipalName": u.UPN, "accountEnabled": !u.Disabled}
	for _, name := range strings.Split(sel, ",") {
		name = strings.TrimSpace(name)
		if _, ok := out[name]; ok || name == "" {
			continue
		}
		if v, ok := u.Attributes[name]; ok {
			out[name] = v
		} else {
			out[name] = nil
		}
	}
	return out
}

// recordSelect keeps the $select of a user request (k.mu held).
func (k *Kit) recordSelect(sel string) {
	k.selects = append(k.selects, sel)
}

// GraphSelects returns the $select of every Graph user request so far
// (lookups, $batch parts and delta), in order; "" for a request without.
func (k *Kit) GraphSelects() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.selects)
}

func graphError(code, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code, "message": msg}}
}
