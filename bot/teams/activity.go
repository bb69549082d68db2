package teams

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
)

// Teams-specific names.
const (
	contentTypeFileDownload = "application/vnd.microsoft.teams.file.download.info"
	invokeAdaptiveCard      = "adaptiveCard/action"
	conversationPersonal    = "personal"
)

// inbound is an activity as received: the library's schema.Activity plus
// the Teams fields that schema drops (entity details, channelData, raw
// value). schema.Activity's own Entities, ChannelData and Value stay
// empty: raw has them.
type inbound struct {
	schema.Activity
	raw struct {
		Entities    []entity
		ChannelData channelData
		Value       json.RawMessage
	}
	parsed *parsedAction // action(), decoded once
}

type parsedAction struct {
	act *segmentbot.Action
	err error
}

type entity struct {
	Type      string `json:"type"`
	Timezone  string `json:"timezone"`
	Text      string `json:"text"`
	Mentioned struct {
		ID string `json:"id"`
	} `json:"mentioned"`
}

type channelData struct {
	Tenant struct {
		ID string `json:"id"`
	} `json:"tenant"`
	Team struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"team"`
}

// parseActivity decodes body in one pass; EINVALID when it is not an
// activity. The outer fields of the decoding struct take the names that
// schema.Activity also has (encoding/json prefers the shallower field).
func parseActivity(body []byte) (*inbound, error) {
	var in inbound
	err := json.Unmarshal(body, &struct {
		*schema.Activity
		Entities    *[]entity        `json:"entities"`
		ChannelData *channelData     `json:"channelData"`
		Value       *json.RawMessage `json:"value"`
	}{&in.Activity, &in.raw.Entities, &in.raw.ChannelData, &in.raw.Value})
	if err != nil {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "The activity is not valid JSON: %v", err)
	}
	return &in, nil
}

// validate checks the fields every handled activity needs.
func (in *inbound) validate() error {
	missing := []string{}
	for name, v := range map[string]string{
		"type": string(in.Type), "id": in.ID, "serviceUrl": in.ServiceURL,
		"channelId": in.ChannelID, "from.id": in.From.ID, "conversation.id": in.Conversation.ID,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return segmentbot.Errorf(segmentbot.EINVALID, "The activity lacks %s.", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	return nil
}

func (in *inbound) tenant() string {
	if t := in.raw.ChannelData.Tenant.ID; t != "" {
		return t
	}
	return in.Conversation.TenantID
}

func (in *inbound) teamID() string { return in.raw.ChannelData.Team.ID }

func (in *inbound) teamName() string { return in.raw.ChannelData.Team.Name }

func (in *inbound) personal() bool {
	return in.Conversation.ConversationType == conversationPersonal
}

func (in *inbound) timeZone() string {
	for _, e := range in.raw.Entities {
		if e.Type == "clientInfo" && e.Timezone != "" {
			return e.Timezone
		}
	}
	return in.LocalTimezone
}

// botAdded reports whether the bot itself is among membersAdded.
func (in *inbound) botAdded() bool {
	for _, m := range in.MembersAdded {
		if m.ID == in.Recipient.ID {
			return true
		}
	}
	return false
}

var atTag = regexp.MustCompile(`(?is)<at[^>]*>(.*?)</at>`)

// text is the typed text without the mentions of the bot.
func (in *inbound) text() string {
	t := in.Text
	for _, e := range in.raw.Entities {
		if e.Type == "mention" && e.Mentioned.ID == in.Recipient.ID && e.Text != "" {
			t = strings.ReplaceAll(t, e.Text, "")
		}
	}
	if in.Recipient.Name != "" {
		t = strings.ReplaceAll(t, "<at>"+in.Recipient.Name+"</at>", "")
	}
	// A mention of anyone else keeps its name as plain text.
	t = atTag.ReplaceAllString(t, "$1")
	return strings.TrimSpace(t)
}

// action is the card action the activity carries (see decodeAction),
// decoded on first use: the request's path asks for it several times.
func (in *inbound) action() (*segmentbot.Action, error) {
	if in.parsed == nil {
		act, err := in.decodeAction()
		in.parsed = &parsedAction{act, err}
	}
	return in.parsed.act, in.parsed.err
}

// decodeAction decodes the card data of a message (Action.Submit) or of an
// adaptiveCard/action invoke (Action.Execute); nil when there is none.
func (in *inbound) decodeAction() (*segmentbot.Action, error) {
	if len(in.raw.Value) == 0 || string(in.raw.Value) == "null" {
		return nil, nil
	}
	data := in.raw.Value
	verb := ""
	if in.Type == schema.Invoke {
		var v struct {
			Action struct {
				Verb string          `json:"verb"`
				Data json.RawMessage `json:"data"`
			} `json:"action"`
		}
		if err := json.Unmarshal(in.raw.Value, &v); err != nil {
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "The card action is malformed.")
		}
		data, verb = v.Action.Data, v.Action.Verb
	}
	var a segmentbot.Action
	if len(data) > 0 && string(data) != "null" {
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "The card action data is malformed.")
		}
	}
	if a.Verb == "" {
		a.Verb = verb
	}
	if a.Verb == "" {
		return nil, nil
	}
	return &a, nil
}

// file is the CSV (or other file) a user sent in a personal chat.
func (in *inbound) file() *segmentbot.File {
	for _, att := range in.Attachments {
		if att.ContentType != contentTypeFileDownload {
			continue
		}
		b, err := json.Marshal(att.Content)
		if err != nil {
			continue
		}
		var c struct {
			DownloadURL string `json:"downloadUrl"`
			FileType    string `json:"fileType"`
		}
		if json.Unmarshal(b, &c) != nil || c.DownloadURL == "" {
			continue
		}
		return &segmentbot.File{URL: c.DownloadURL, Name: att.Name, Type: c.FileType}
	}
	return nil
}

// sender is the directory entry of the user who sent the activity.
func (in *inbound) sender() *segmentbot.User {
	return &segmentbot.User{
		Channel:     segmentbot.ChannelTeams,
		TenantID:    in.tenant(),
		ExternalID:  in.From.ID,
		AADObjectID: strings.ToLower(in.From.AadObjectID),
		Name:        in.From.Name,
		Active:      true,
		InBotGroups: in.personal(),
		ConvRef:     in.userRef().encode(),
		TimeZone:    in.timeZone(),
	}
}

// ref is where replies to this activity go.
func (in *inbound) ref() convRef {
	return convRef{
		ServiceURL:     in.ServiceURL,
		ConversationID: in.Conversation.ID,
		TenantID:       in.tenant(),
		BotID:          in.Recipient.ID,
		BotName:        in.Recipient.Name,
		UserID:         in.From.ID,
		UserName:       in.From.Name,
	}
}

// userRef is how to reach the sender later: this chat when it is the
// personal one, else the personal chat to be opened on first use.
func (in *inbound) userRef() convRef {
	r := in.ref()
	if !in.personal() {
		r.ConversationID = ""
	}
	return r
}
