package faketeams

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// CatalogAppID is the app-catalog id of the bot's Teams app in the fake
// Graph: the only app it installs (set SEGMENTBOT_TEAMS_APP_ID /
// teams.Config.CatalogAppID to it).
const CatalogAppID = "a1b2c3d4-0000-4000-8000-00000000c0de"

// InstalledChat is the id of the chat the fake Graph gives for the app
// installed for the user with AAD object id aad; the connector takes it
// as a conversation id.
func InstalledChat(aad string) string {
	return "19:" + strings.ToLower(aad) + "_" + AppID + "@unq.gbl.spaces"
}

// PreinstallApp marks the app installed for these AAD object ids already,
// so an install answers 409 Conflict, as Graph does.
func (k *Kit) PreinstallApp(aads ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, aad := range aads {
		k.installed[strings.ToLower(aad)] = "inst-" + strings.ToLower(aad)
	}
}

// FailInstall makes the install of the app for the user (POST
// /users/{aad}/teamwork/installedApps) answer f.
func (k *Kit) FailInstall(aad string, f Failure) {
	k.setFailure(k.graphFailures, "install:"+strings.ToLower(aad), f)
}

// Installs counts install requests (POST .../installedApps), 409s
// included.
func (k *Kit) Installs() int64 { return k.installs.Load() }

// installedAppsPath is /users/{user}/teamwork/installedApps[/{id}[/chat]].
var installedAppsPath = regexp.MustCompile(`^/users/([^/]+)/teamwork/installedApps(?:/([^/]+)(/chat)?)?$`)

// serveInstalledApps answers the three calls that install the app for a
// user and find their chat with it (DESIGN §7): 404 for a user Graph does
// not know or an app not in the catalog, 403 for a disabled account, 409
// when installed already.
func (k *Kit) serveInstalledApps(w http.ResponseWriter, r *http.Request, m []string) {
	aad := strings.ToLower(m[1])
	tenant := k.tenantOf(r)
	k.mu.Lock()
	defer k.mu.Unlock()
	u, known := k.graphUsers[graphKey(tenant, "id:"+aad)]
	switch {
	case !known:
		writeJSON(w, http.StatusNotFound, graphError("Request_ResourceNotFound", "Resource '"+aad+"' does not exist or one of its queried reference-property objects are not present."))
	case r.Method == http.MethodPost && m[2] == "":
		k.installs.Add(1)
		if f, ok := k.failureOf(k.graphFailures, "install:"+aad); ok {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			writeJSON(w, f.Status, graphError(f.Code, "the kit was told to refuse this"))
			return
		}
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in["teamsApp@odata.bind"] == "" {
			writeJSON(w, http.StatusBadRequest, graphError("BadRequest", "teamsApp@odata.bind is required"))
			return
		}
		if !strings.HasSuffix(in["teamsApp@odata.bind"], "/appCatalogs/teamsApps/"+CatalogAppID) {
			writeJSON(w, http.StatusNotFound, graphError("NotFound", "The teamsApp "+in["teamsApp@odata.bind"]+" was not found in the app catalog."))
			return
		}
		if u.Disabled {
			writeJSON(w, http.StatusForbidden, graphError("Forbidden", "User account is disabled."))
			return
		}
		if _, ok := k.installed[aad]; ok {
			writeJSON(w, http.StatusConflict, graphError("Conflict", "App is already installed."))
			return
		}
		k.installed[aad] = "inst-" + aad
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodGet && m[2] == "":
		want := "teamsApp/id eq '" + CatalogAppID + "'"
		if r.URL.Query().Get("$filter") != want || r.URL.Query().Get("$expand") != "teamsApp" {
			writeJSON(w, http.StatusBadRequest, graphError("BadRequest", "want $expand=teamsApp&$filter="+want))
			return
		}
		value := []any{}
		if id, ok := k.installed[aad]; ok {
			value = append(value, map[string]any{"id": id, "teamsApp": map[string]any{
				"id": CatalogAppID, "externalId": AppID, "displayName": BotName, "distributionMethod": "organization",
			}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": value})
	case r.Method == http.MethodGet && m[3] == "/chat" && k.installed[aad] == m[2]:
		writeJSON(w, http.StatusOK, map[string]any{"id": InstalledChat(aad), "chatType": "oneOnOne"})
	default:
		writeJSON(w, http.StatusNotFound, graphError("NotFound", r.Method+" "+r.URL.Path))
	}
}

// failureOf takes one use of the failure set for key. k.mu is held.
func (k *Kit) failureOf(set map[string]Failure, key string) (Failure, bool) {
	f, ok := set[key]
	if !ok || f.Times == 0 {
		return Failure{}, false
	}
	if f.Times > 0 {
		f.Times--
		set[key] = f
	}
	return f, true
}
