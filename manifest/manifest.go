// Package manifest builds the Microsoft Teams app package of segmentbot: a
// zip of manifest.json (from an embedded template) and the two icons,
// drawn at build time. An admin uploads the zip to Teams to install the
// bot.
//
// It only produces bytes: it must not talk to Teams, read configuration
// from the environment, or write files; cmd/segmentbot decides where the
// package goes.
package manifest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

// ManifestVersion is the Teams app manifest schema version the template
// follows (the newest released one in @microsoft/app-manifest 1.1.2).
const ManifestVersion = "1.30"

// Defaults for empty Options fields.
const (
	DefaultName             = "segmentbot"
	DefaultShortDescription = "Opt in and out of broadcast audiences."
	DefaultVersion          = "1.0.0"
)

// accentColor is the background of the colour icon and the app tile.
const accentColor = "#4464EE"

// Options name the app. AppID is the bot's Microsoft App ID (a GUID) and
// becomes the app id too; PublicURL is the https base the bot is reached
// at, whose host is the app's only valid domain, and the app's website
// (the service answers it). PrivacyURL and TermsURL are the publishing
// organisation's pages, which Teams links from the app's page: segmentbot
// has none of its own, so they are required.
type Options struct {
	AppID            string
	Name             string // short name, up to 30 characters
	ShortDescription string // up to 80 characters
	PublicURL        string
	PrivacyURL       string
	TermsURL         string
	Version          string // semantic version, e.g. 1.2.0
	// TeamsAppID is the app's id in the organisation's app catalog
	// (SEGMENTBOT_TEAMS_APP_ID). Given, the manifest carries
	// webApplicationInfo, which installing the app for users through
	// Graph needs (DESIGN §7).
	TeamsAppID string
	// AADAppID is the Azure AD app that holds the Graph permission
	// TeamsAppInstallation.ReadWriteSelfForUser.All; empty means the bot's
	// AppID. Given, the manifest carries webApplicationInfo too.
	AADAppID string
}

// WebApplicationInfo is the manifest's link to the Azure AD app that asks
// Graph for permissions on the app's behalf.
type WebApplicationInfo struct {
	ID       string `json:"id"`
	Resource string `json:"resource"`
}

// Command is one entry of the bot's command menu in Teams.
type Command struct {
	Title       string
	Description string
}

// Commands are the commands Teams suggests in the compose box: the end
// users' ones, since everybody sees the menu. Admins find theirs by typing
// help.
var Commands = []Command{
	{"help", "What you can do here"},
	{"my segments", "The segments you're in, each with Opt out"},
	{"segments", "The open segments you can join"},
	{"unsubscribe", "Leave every segment (or type unsubscribe and a segment's name)"},
}

const fullDescription = "segmentbot manages the audiences of your broadcasts. " +
	"People join or leave a segment with one tap on a card, or leave every segment by typing unsubscribe. " +
	"Admins create segments, add people in chat or by sending a CSV file of emails, read an import report " +
	"that says why a row was not added, and schedule broadcasts; the bot warns when a large upload lands " +
	"less than 24 hours before a broadcast."

var (
	//go:embed manifest.json.tmpl
	templateText string
	manifestTmpl = template.Must(template.New("manifest.json").Funcs(template.FuncMap{
		"json": jsonValue,
	}).Parse(templateText))

	guidPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)
	semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// manifestData is what the template fills in.
type manifestData struct {
	ManifestVersion  string
	Version          string
	ID               string
	BotID            string
	DeveloperName    string
	PublicURL        string
	PrivacyURL       string
	TermsURL         string
	Host             string
	Name             string
	ShortDescription string
	FullDescription  string
	AccentColor      string
	Commands         []Command
	WebApp           *WebApplicationInfo // nil: no webApplicationInfo
}

// Manifest renders manifest.json for opts. EINVALID names the bad option.
func Manifest(opts Options) ([]byte, error) {
	data, err := opts.data()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := manifestTmpl.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render manifest.json: %w", err)
	}
	if !json.Valid(buf.Bytes()) {
		return nil, fmt.Errorf("render manifest.json: the template produced invalid JSON")
	}
	return buf.Bytes(), nil
}

// data checks opts and fills the defaults.
func (o Options) data() (manifestData, error) {
	appID := strings.ToLower(strings.TrimSpace(o.AppID))
	if !guidPattern.MatchString(appID) {
		return manifestData{}, segmentbot.Errorf(segmentbot.EINVALID,
			"The app id %q is not a GUID (like 00000000-0000-0000-0000-000000000000): use the bot's Microsoft App ID.", o.AppID)
	}
	public, err := HTTPSURL(o.PublicURL)
	if err != nil {
		return manifestData{}, segmentbot.Errorf(segmentbot.EINVALID,
			"The public URL %q must be an absolute https URL such as https://bot.example.com.", o.PublicURL)
	}
	privacy, err := HTTPSURL(o.PrivacyURL)
	if err != nil {
		return manifestData{}, segmentbot.Errorf(segmentbot.EINVALID,
			"The privacy URL %q must be the absolute https URL of your privacy statement.", o.PrivacyURL)
	}
	terms, err := HTTPSURL(o.TermsURL)
	if err != nil {
		return manifestData{}, segmentbot.Errorf(segmentbot.EINVALID,
			"The terms URL %q must be the absolute https URL of your terms of use.", o.TermsURL)
	}
	name := orDefault(o.Name, DefaultName)
	if n := utf8.RuneCountInString(name); n > 30 {
		return manifestData{}, segmentbot.Errorf(segmentbot.EINVALID, "The app name %q is %d characters long; Teams allows 30.", name, n)
	}
	short := orDefault(o.ShortDescription, DefaultShortDescription)
	if n := utf8.RuneCountInString(short); n > 80 {
		return manifestData{}, segmentbot.Errorf(segmentbot.EINVALID, "The short description is %d characters long; Teams allows 80.", n)
	}
	version := orDefault(o.Version, DefaultVersion)
	if !semverPattern.MatchString(version) {
		return manifestData{}, segmentbot.Errorf(segmentbot.EINVALID, "The version %q is not a semantic version such as 1.2.0.", version)
	}
	webApp, err := o.webApp(public.Hostname(), appID)
	if err != nil {
		return manifestData{}, err
	}
	return manifestData{
		WebApp:           webApp,
		ManifestVersion:  ManifestVersion,
		Version:          version,
		ID:               appID,
		BotID:            appID,
		DeveloperName:    name,
		PublicURL:        strings.TrimRight(public.String(), "/"),
		PrivacyURL:       privacy.String(),
		TermsURL:         terms.String(),
		Host:             public.Hostname(),
		Name:             name,
		ShortDescription: short,
		FullDescription:  fullDescription,
		AccentColor:      accentColor,
		Commands:         Commands,
	}, nil
}

// HTTPSURL parses raw as an absolute https URL with a host and no
// credentials, the only kind a Teams manifest takes.
func HTTPSURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "%q is not an absolute https URL", raw)
	}
	return u, nil
}

// webApp is the webApplicationInfo for a catalog or AAD app id, or nil
// when neither is given.
func (o Options) webApp(host, botID string) (*WebApplicationInfo, error) {
	catalog := strings.ToLower(strings.TrimSpace(o.TeamsAppID))
	aad := strings.ToLower(strings.TrimSpace(o.AADAppID))
	if catalog == "" && aad == "" {
		return nil, nil
	}
	if catalog != "" && !guidPattern.MatchString(catalog) {
		return nil, segmentbot.Errorf(segmentbot.EINVALID,
			"The Teams app catalog id %q is not a GUID: find it in the Teams admin center, Manage apps, the app's App ID.", o.TeamsAppID)
	}
	if aad != "" && !guidPattern.MatchString(aad) {
		return nil, segmentbot.Errorf(segmentbot.EINVALID,
			"The Azure AD app id %q is not a GUID: use the Application (client) ID of the app registration.", o.AADAppID)
	}
	if aad == "" {
		aad = botID
	}
	return &WebApplicationInfo{ID: aad, Resource: "api://" + host + "/" + aad}, nil
}

// jsonValue writes v as JSON for the template, leaving <, > and & as they
// are (the manifest is not HTML).
func jsonValue(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return def
}
