// Package teamstest is the test kit of the Teams channel: fake Bot
// Framework login (OpenID metadata, signing keys, tokens), a fake Bot
// Connector that records what the bot sends, and a fake Microsoft Graph,
// all on loopback httptest servers speaking the real wire formats. It makes
// "a signed Teams activity from user X" one line.
//
// The fakes live in bot/teams/faketeams, which the demo links into the
// service binary; this package names them for tests, so no test kit is
// part of the service. Everything here is faketeams' (aliases).
package teamstest

import "github.com/segmentbot/segmentbot/bot/teams/faketeams"

type (
	User         = faketeams.User
	Activity     = faketeams.Activity
	Sent         = faketeams.Sent
	GraphUser    = faketeams.GraphUser
	Kit          = faketeams.Kit
	TB           = faketeams.TB
	SignOption   = faketeams.SignOption
	TokenRequest = faketeams.TokenRequest
	Failure      = faketeams.Failure
	Opened       = faketeams.Opened
	Call         = faketeams.Call
)

const (
	AppID           = faketeams.AppID
	BotID           = faketeams.BotID
	BotName         = faketeams.BotName
	TenantID        = faketeams.TenantID
	OtherTenantID   = faketeams.OtherTenantID
	KeyID           = faketeams.KeyID
	UnendorsedKeyID = faketeams.UnendorsedKeyID
	UnknownKeyID    = faketeams.UnknownKeyID
	CatalogAppID    = faketeams.CatalogAppID

	DefaultDeltaPageSize = faketeams.DefaultDeltaPageSize
)

var (
	Installer            = faketeams.Installer
	NewUser              = faketeams.NewUser
	PersonalConversation = faketeams.PersonalConversation
	New                  = faketeams.New
	Start                = faketeams.Start
	Expired              = faketeams.Expired
	NotYetValid          = faketeams.NotYetValid
	Audience             = faketeams.Audience
	Issuer               = faketeams.Issuer
	ServiceURL           = faketeams.ServiceURL
	Claim                = faketeams.Claim
	AlgNone              = faketeams.AlgNone
	HS256                = faketeams.HS256
	UnknownKid           = faketeams.UnknownKid
	BadSignature         = faketeams.BadSignature
	Unendorsed           = faketeams.Unendorsed
	InstalledChat        = faketeams.InstalledChat
	Blocked              = faketeams.Blocked
	BotGone              = faketeams.BotGone
	ConversationGone     = faketeams.ConversationGone
	Throttled            = faketeams.Throttled
	Unavailable          = faketeams.Unavailable
)
