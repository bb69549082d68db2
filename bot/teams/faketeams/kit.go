// Package faketeams is a fake Microsoft Teams for tests and the demo: fake Bot
// Framework login (OpenID metadata, signing keys, tokens), a fake Bot
// Connector that records what the bot sends, and a fake Microsoft Graph,
// all on loopback httptest servers speaking the real wire formats. It makes
// "a signed Teams activity from user X" one line.
//
// For broadcasts: the connector opens personal chats (POST
// /v3/conversations) with the members it knows (rosters, activity senders,
// KnowMember) and refuses others with 403; FailConversation, FailOpen and
// FailAll make it answer a Failure (Blocked, BotGone, Throttled, a 5xx
// burst); Sent, SentTo, Opened, Calls and MaxPerWindow tell what arrived
// and how fast. The fake Graph installs the app CatalogAppID for its users
// (409 when PreinstallApp did already, FailInstall for other answers) and
// gives InstalledChat(aad) as the chat.
//
// For the directory sync: the fake Graph serves GET /users/delta — pages
// of SetDeltaPageSize users with @odata.nextLink, then an @odata.deltaLink
// whose token reads the changes since (RemoveGraphUser gives @removed);
// ThrottleDelta answers 429, ExpireDeltaTokens 410; DeltaRequests and
// GraphSelects tell what was asked.
//
// The demo links it into the service binary (`segmentbot demo`), so it
// does not import "testing"; tests use it through bot/teams/teamstest. The
// service itself never uses it.
package faketeams

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams"
)

// Identities the kit uses.
const (
	AppID    = "00000000-0000-0000-0000-00000000b07"
	BotID    = "28:" + AppID
	BotName  = "Segment Bot"
	TenantID = "72f988bf-0000-0000-0000-00000000ten"
	// OtherTenantID is a second tenant: its users can talk to a
	// MultiTenant bot, but it is not the bot's home tenant.
	OtherTenantID = "0f0f0f0f-0000-0000-0000-0000000other"
)

// Kit is a set of fake Microsoft services for one test.
type Kit struct {
	// Servers, each counting its requests.
	Login     *httptest.Server // OpenID metadata and JWKS
	Token     *httptest.Server // client-credentials tokens
	Connector *httptest.Server // Bot Connector
	Graph     *httptest.Server // Microsoft Graph

	metadataRequests atomic.Int64
	jwksRequests     atomic.Int64
	tokenRequests    atomic.Int64
	graphRequests    atomic.Int64
	connectorCalls   atomic.Int64
	installs         atomic.Int64
	seq              atomic.Int64
	keysDown         atomic.Bool

	mu            sync.Mutex
	expiresIn     int
	tokens        map[string]string // issued token -> scope
	tokenOf       map[string]string // issued token -> tenant it was issued for
	tokenAsks     []TokenRequest
	sent          []Sent
	calls         []Call
	opened        []Opened
	members       map[string]bool    // Teams ids the connector opens chats with
	failures      map[string]Failure // "all", "conv:<id>", "member:<id>"
	roster        map[string][]teams.Member
	profiles      map[string]teams.Member // member API answers beyond the rosters
	pageSize      int
	graphUsers    map[string]GraphUser // by lower-case id, UPN and mail
	graphFails    map[string]int       // lower-case key -> fixed status
	throttle      int                  // inner batch requests to answer 429
	replyDelay    time.Duration        // how long a reply (an activity with replyToId) takes
	installed     map[string]string    // AAD id -> installation id of the app
	graphFailures map[string]Failure   // "install:<aad>"
	selects       []string             // $select of every user request

	// The users delta (delta.go).
	directory       map[string][]*dirEntry // lower-case tenant -> users in the order first added
	dirIndex        map[string]*dirEntry   // graphKey(tenant, "id:"+id)
	dirSeq          int64                  // the last change
	deltaPageSize   int
	deltaThrottle   int
	deltaRetryAfter string
	deltaEpoch      int
	deltaAsks       []string
	deltaExtra      []GraphUser
}

// TB is what the kit needs of a test: testing.TB has it. The kit does not
// import "testing", so the demo can link it into the service binary.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// New starts the fake services; they stop when the test ends.
func New(t TB) *Kit {
	t.Helper()
	k := Start()
	t.Cleanup(k.Close)
	return k
}

// Start starts the fake services outside a test (the demo); Close stops
// them.
func Start() *Kit {
	k := &Kit{
		expiresIn:     3600,
		tokens:        map[string]string{},
		tokenOf:       map[string]string{},
		roster:        map[string][]teams.Member{},
		profiles:      map[string]teams.Member{},
		pageSize:      500,
		graphUsers:    map[string]GraphUser{},
		graphFails:    map[string]int{},
		members:       map[string]bool{},
		failures:      map[string]Failure{},
		installed:     map[string]string{},
		graphFailures: map[string]Failure{},
		directory:     map[string][]*dirEntry{},
		dirIndex:      map[string]*dirEntry{},
	}
	k.Login = httptest.NewServer(http.HandlerFunc(k.serveLogin))
	k.Token = httptest.NewServer(http.HandlerFunc(k.serveToken))
	k.Connector = httptest.NewServer(http.HandlerFunc(k.serveConnector))
	k.Graph = httptest.NewServer(http.HandlerFunc(k.serveGraph))
	return k
}

// DelayReplies makes the connector take d to accept each reply (a posted
// activity with a replyToId), as a busy connector does; a proactive
// message posted meanwhile is recorded first.
func (k *Kit) DelayReplies(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.replyDelay = d
}

// Close stops the fake services.
func (k *Kit) Close() {
	k.Login.Close()
	k.Token.Close()
	k.Connector.Close()
	k.Graph.Close()
}

// Config returns a channel configuration that talks only to the kit.
func (k *Kit) Config() teams.Config {
	return teams.Config{
		AppID:             AppID,
		AppPassword:       "secret",
		TenantID:          TenantID,
		AppType:           teams.AppTypeSingleTenant,
		OpenIDMetadataURL: k.Login.URL + "/v1/.well-known/openidconfiguration",
		TokenURL:          k.Token.URL + "/{tenant}/oauth2/v2.0/token",
		GraphURL:          k.Graph.URL + "/v1.0",
		GraphRate:         1000,
		ServiceURL:        k.ServiceURL(),
		HTTPClient:        &http.Client{Timeout: 10 * time.Second},
	}
}

// ServiceURL is the serviceUrl of the activities the kit builds.
func (k *Kit) ServiceURL() string { return k.Connector.URL + "/" }

// MetadataRequests counts GETs of the OpenID metadata.
func (k *Kit) MetadataRequests() int64 { return k.metadataRequests.Load() }

// JWKSRequests counts GETs of the signing keys.
func (k *Kit) JWKSRequests() int64 { return k.jwksRequests.Load() }

// TokenRequests counts token requests.
func (k *Kit) TokenRequests() int64 { return k.tokenRequests.Load() }

// GraphRequests counts HTTP requests to Graph ($batch counts once).
func (k *Kit) GraphRequests() int64 { return k.graphRequests.Load() }

// ConnectorCalls counts every connector request, refused ones included.
func (k *Kit) ConnectorCalls() int64 { return k.connectorCalls.Load() }

// SetTokenLifetime sets expires_in of the tokens issued from now on.
func (k *Kit) SetTokenLifetime(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.expiresIn = int(d / time.Second)
}

// FailNext makes the connector answer the next n calls with 429 and the
// given Retry-After ("" for none).
func (k *Kit) FailNext(n int, retryAfter string) {
	if n <= 0 {
		k.mu.Lock()
		delete(k.failures, "all")
		k.mu.Unlock()
		return
	}
	k.FailAll(Failure{Status: http.StatusTooManyRequests, Code: "TooManyRequests", RetryAfter: retryAfter, Times: n})
}

func (k *Kit) next() int64 { return k.seq.Add(1) }
