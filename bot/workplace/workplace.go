package workplace

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// DefaultGraphURL is the Workplace Graph base used when Config.GraphURL is
// empty. Messenger pages use https://graph.facebook.com/v<version>.
const DefaultGraphURL = "https://graph.workplace.com"

// DefaultGraphRate is the number of Graph calls per second made when
// Config.GraphRate is zero.
const DefaultGraphRate = 20

// Config configures a Channel.
type Config struct {
	AppSecret   string // signs webhooks (required)
	VerifyToken string // answers the subscription check (required)
	AccessToken string // page / integration token for the Send API and Graph (required)
	GraphURL    string // default DefaultGraphURL
	// Groups are the ids of the groups whose members are "the bot's
	// groups". With none, every member of the community counts as one.
	Groups     []string
	GraphRate  float64      // Graph calls per second; 0 means DefaultGraphRate, <0 unlimited
	HTTPClient *http.Client // default: a client with a 30 s timeout
	Logger     *slog.Logger // default slog.Default()
}

// Channel is the Workplace / Messenger channel. It is a segmentbot.Messenger
// and a segmentbot.Directory, and safe for concurrent use.
type Channel struct {
	cfg      Config
	receiver segmentbot.Receiver
	users    segmentbot.UserService
	graph    *graph
	log      *slog.Logger

	groupsMu sync.Mutex
	groupSet map[string]bool // ids of the bot's group members; nil until loaded
}

var (
	_ segmentbot.Messenger = (*Channel)(nil)
	_ segmentbot.Directory = (*Channel)(nil)
)

// New returns a Channel that hands events to r (the bot's one entrance,
// which stores senders and makes redeliveries harmless) and keeps the
// users its directory look-ups find in users. EINVALID for a bad config.
func New(cfg Config, r segmentbot.Receiver, users segmentbot.UserService) (*Channel, error) {
	switch {
	case cfg.AppSecret == "":
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Workplace app secret is empty")
	case cfg.VerifyToken == "":
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Workplace verify token is empty")
	case cfg.AccessToken == "":
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Workplace access token is empty")
	case r == nil || users == nil:
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Workplace channel needs a receiver and a user service")
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = DefaultGraphURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.GraphURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Workplace Graph URL %q is not an http(s) URL", cfg.GraphURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	rate := cfg.GraphRate
	if rate == 0 {
		rate = DefaultGraphRate
	}
	g := newGraph(base, cfg.AccessToken, cfg.AppSecret, cfg.HTTPClient, newLimiter(rate))
	log := cfg.Logger.With("channel", segmentbot.ChannelWorkplace)
	return &Channel{cfg: cfg, receiver: r, users: users, graph: g, log: log}, nil
}
