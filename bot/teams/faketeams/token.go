package faketeams

import (
	"fmt"
	"net/http"
	"strings"
)

// TokenRequest is one client-credentials request the kit answered.
type TokenRequest struct {
	Tenant   string // from the URL path
	ClientID string
	Scope    string
}

func (k *Kit) serveToken(w http.ResponseWriter, r *http.Request) {
	k.tokenRequests.Add(1)
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != AppID {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	scope := r.PostForm.Get("scope")
	tok := fmt.Sprintf("kit-token-%d", k.next())
	tenant := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
	k.mu.Lock()
	k.tokens[tok] = scope
	k.tokenOf[tok] = tenant
	k.tokenAsks = append(k.tokenAsks, TokenRequest{Tenant: tenant, ClientID: r.PostForm.Get("client_id"), Scope: scope})
	expires := k.expiresIn
	k.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": expires, "ext_expires_in": expires, "access_token": tok,
	})
}

// TokenAsks lists the token requests answered so far.
func (k *Kit) TokenAsks() []TokenRequest {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]TokenRequest(nil), k.tokenAsks...)
}

// tenantOf is the tenant the token of r was issued for.
func (k *Kit) tenantOf(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tokenOf[tok]
}

// authorized reports whether r carries a token the kit issued for scope.
func (k *Kit) authorized(r *http.Request, scope string) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tokens[tok] == scope
}
