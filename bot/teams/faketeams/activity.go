package faketeams

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams"
)

// User is someone who talks to the bot.
type User struct {
	ID          string // Teams user id, 29:...
	Name        string
	AADObjectID string
	Tenant      string // "" is TenantID; OtherTenantID for a user of the second tenant
}

// NewUser makes a user with ids derived from name.
func NewUser(name string) User {
	slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	var sum uint32
	for _, c := range slug {
		sum = sum*31 + uint32(c)
	}
	return User{ID: "29:kit-" + slug, Name: name, AADObjectID: fmt.Sprintf("%08x-0000-4000-8000-%012x", sum, sum)}
}

// InTenant is u as a user of tenant.
func (u User) InTenant(tenant string) User {
	u.Tenant = tenant
	return u
}

func (u User) tenant() string {
	if u.Tenant == "" {
		return TenantID
	}
	return u.Tenant
}

// Member is u as a roster entry.
func (u User) Member(email string) teams.Member {
	return teams.Member{ID: u.ID, Name: u.Name, ObjectID: u.AADObjectID, Email: email, UserPrincipalName: email, TenantID: u.tenant(), UserRole: "user"}
}

// Activity is an inbound activity as JSON fields; change any of them before
// signing.
type Activity map[string]any

// JSON is the request body.
func (a Activity) JSON() []byte {
	b, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("faketeams: encoding an activity: %v", err))
	}
	return b
}

// ID is the activity id.
func (a Activity) ID() string { s, _ := a["id"].(string); return s }

// ServiceURL is the activity's serviceUrl.
func (a Activity) ServiceURL() string { s, _ := a["serviceUrl"].(string); return s }

// PersonalConversation is the id of the kit's personal chat with u.
func PersonalConversation(u User) string { return "a:kit-personal-" + strings.TrimPrefix(u.ID, "29:") }

// base is an activity from u in their personal chat with the bot.
func (k *Kit) base(from User, typ string) Activity {
	k.KnowMember(from.ID)
	return Activity{
		"type":       typ,
		"id":         fmt.Sprintf("f:kit-%d", k.next()),
		"timestamp":  time.Now().UTC().Format(time.RFC3339Nano),
		"channelId":  "msteams",
		"serviceUrl": k.ServiceURL(),
		"from":       map[string]any{"id": from.ID, "name": from.Name, "aadObjectId": from.AADObjectID},
		"conversation": map[string]any{
			"id": PersonalConversation(from), "conversationType": "personal", "tenantId": from.tenant(),
		},
		"recipient":   map[string]any{"id": BotID, "name": BotName},
		"channelData": map[string]any{"tenant": map[string]any{"id": from.tenant()}},
		"entities": []any{map[string]any{
			"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web", "timezone": "Europe/Berlin",
		}},
		"locale": "en-US",
	}
}

// Message is text typed by from in the personal chat.
func (k *Kit) Message(from User, text string) Activity {
	a := k.base(from, "message")
	a["text"], a["textFormat"] = text, "plain"
	return a
}

// Submit is an Action.Submit click: a message whose value is data (a
// segmentbot.Action or any JSON object).
func (k *Kit) Submit(from User, data any) Activity {
	a := k.base(from, "message")
	a["value"] = data
	a["replyToId"] = fmt.Sprintf("kit-activity-%d", k.next())
	return a
}

// Invoke is an Action.Execute click (adaptiveCard/action) with data.
func (k *Kit) Invoke(from User, data any) Activity {
	a := k.base(from, "invoke")
	a["name"] = "adaptiveCard/action"
	verb := ""
	if m, ok := toMap(data)["verb"].(string); ok {
		verb = m
	}
	a["value"] = map[string]any{
		"action":  map[string]any{"type": "Action.Execute", "id": "", "verb": verb, "data": data},
		"trigger": "manual",
	}
	a["replyToId"] = fmt.Sprintf("kit-activity-%d", k.next())
	return a
}

// File is a file sent by from in the personal chat (download.info).
func (k *Kit) File(from User, url, name string) Activity {
	a := k.base(from, "message")
	ext := name[strings.LastIndex(name, ".")+1:]
	a["attachments"] = []any{map[string]any{
		"contentType": "application/vnd.microsoft.teams.file.download.info",
		"contentUrl":  "https://contoso.sharepoint.com/personal/" + name,
		"name":        name,
		"content":     map[string]any{"downloadUrl": url, "uniqueId": fmt.Sprintf("kit-file-%d", k.next()), "fileType": ext, "etag": "1"},
	}}
	return a
}

// InstallPersonal is the conversationUpdate that adds the bot to from's
// personal chat; InstallUpdate is its installationUpdate twin.
func (k *Kit) InstallPersonal(from User) Activity {
	a := k.base(from, "conversationUpdate")
	a["membersAdded"] = []any{map[string]any{"id": BotID}, map[string]any{"id": from.ID, "aadObjectId": from.AADObjectID}}
	delete(a, "entities")
	return a
}

// InstallUpdate is the installationUpdate (action add) for from's
// personal chat.
func (k *Kit) InstallUpdate(from User) Activity {
	a := k.base(from, "installationUpdate")
	a["action"] = "add"
	return a
}

// Installer is the user who adds the bot to teams in InstallTeam.
var Installer = NewUser("Team Owner")

// InstallTeam is the conversationUpdate that adds the bot to a team.
func (k *Kit) InstallTeam(teamID string) Activity {
	a := k.base(Installer, "conversationUpdate")
	a["membersAdded"] = []any{map[string]any{"id": BotID}}
	a["conversation"] = map[string]any{
		"isGroup": true, "conversationType": "channel", "tenantId": TenantID, "id": teamID, "name": "General",
	}
	a["channelData"] = map[string]any{
		"team":      map[string]any{"id": teamID, "name": "Kit Team", "aadGroupId": "f3ec8cd2-e704-4344-8c47-9a3a21d683c0"},
		"eventType": "teamMemberAdded",
		"tenant":    map[string]any{"id": TenantID},
		"settings":  map[string]any{"selectedChannel": map[string]any{"id": teamID}},
	}
	delete(a, "entities")
	return a
}

func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}
