// Package config reads segmentbot's configuration from the environment
// (DESIGN §2). Every variable, its default and its check live here; a bad
// value is reported as one line naming the variable. It must not open
// connections or start anything.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a segmentbot process.
type Config struct {
	Port        int
	DatabaseURL string

	AppID, AppPassword, AppTenantID, AppType string
	// AuthOff is SEGMENTBOT_AUTH=off: the operator accepts an
	// unauthenticated /api/messages beyond loopback (no MicrosoftAppId).
	AuthOff bool
	// LogLevel is the least severe level logged (SEGMENTBOT_LOG_LEVEL).
	LogLevel slog.Level
	// DatabaseWait is how long start-up keeps trying an unreachable
	// PostgreSQL (SEGMENTBOT_DATABASE_WAIT).
	DatabaseWait time.Duration

	OpenIDMetadataURL, TokenURL, GraphURL string
	GraphRate                             float64
	// TeamsAppID is the Teams app's id in the org's app catalog
	// (SEGMENTBOT_TEAMS_APP_ID); empty: no app installs for broadcasts.
	TeamsAppID string

	WorkplaceAppSecret, WorkplaceVerifyToken, WorkplaceAccessToken, WorkplaceGraphURL string
	WorkplaceGroups                                                                   []string

	Admins        []string
	APIKeys       []string
	MetricsKey    string
	PublicURL     string
	SigningKey    []byte
	SigningKeySet bool // false: a random key was made at start (logged as a warning)
	DownloadAllow []string
	MaxCSVBytes   int64
	LargeUpload   int64
	LeadTime      time.Duration
	WarnSchedule  string
	// DirectorySync is the cron spec of the directory sync
	// (SEGMENTBOT_DIRECTORY_SYNC), or "off". The spec is checked where
	// cron lives (the scheduler), as WarnSchedule's.
	DirectorySync  string
	OptOutKeywords []string
	Retention      time.Duration
	LinkTTL        time.Duration
	ImportWorkers  int
	ImportLease    time.Duration
	// SendRate is the most broadcast sends per second per tenant, shared
	// by every replica; SendLease how long a replica's claim on a
	// broadcast or its rows lasts without renewal (the wait before another
	// replica takes over the sends of one that died).
	SendRate  float64
	SendLease time.Duration
}

// Defaults of DESIGN §2.
const (
	DefaultPort           = 3978
	DefaultDatabaseURL    = "sqlite:segmentbot.db"
	DefaultOpenIDMetadata = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	DefaultGraphURL       = "https://graph.microsoft.com/v1.0"
	DefaultWorkplaceGraph = "https://graph.workplace.com"
	DefaultKeywords       = "unsubscribe,stop,opt out,optout"
	DefaultDatabaseWait   = 30 * time.Second
	DefaultSendRate       = 40
	DefaultDirectorySync  = "@daily"
	DirectorySyncOff      = "off"
	MaxSendRate           = 1000000
)

// Error names the variable that is wrong and why.
type Error struct {
	Var, Problem string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Var, e.Problem) }

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests).
func Load(getenv func(string) string) (*Config, error) {
	c, _, err := load(getenv)
	return c, err
}

// LoadEnviron reads the configuration from environ, the KEY=VALUE list of
// os.Environ. A variable whose name differs from one segmentbot reads only
// in case (MicrosoftAppID, database_url) stops it with the right spelling:
// read as unset, it would silently turn a setting off.
func LoadEnviron(environ []string) (*Config, error) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	c, read, err := load(func(k string) string { return vars[k] })
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if read[k] {
			continue
		}
		for name := range read {
			if strings.EqualFold(k, name) {
				return nil, &Error{Var: k, Problem: fmt.Sprintf("is not a name segmentbot reads; did you mean %s? (names are case-sensitive)", name)}
			}
		}
	}
	return c, err
}

// load is Load; it also returns the names of every variable it read.
func load(lookup func(string) string) (*Config, map[string]bool, error) {
	read := map[string]bool{}
	getenv := func(k string) string {
		read[k] = true
		return lookup(k)
	}
	r := reader{getenv: getenv}
	c := &Config{
		Port:                 r.int("PORT", DefaultPort, 1, 65535),
		DatabaseURL:          r.str("DATABASE_URL", DefaultDatabaseURL),
		AppID:                r.str("MicrosoftAppId", ""),
		AppPassword:          r.str("MicrosoftAppPassword", ""),
		AppTenantID:          r.str("MicrosoftAppTenantId", ""),
		AppType:              r.str("MicrosoftAppType", "SingleTenant"),
		DatabaseWait:         r.duration("SEGMENTBOT_DATABASE_WAIT", DefaultDatabaseWait),
		OpenIDMetadataURL:    r.url("BOT_OPENID_METADATA_URL", DefaultOpenIDMetadata),
		TokenURL:             r.url("BOT_TOKEN_URL", ""),
		GraphURL:             r.url("GRAPH_URL", DefaultGraphURL),
		GraphRate:            r.float("SEGMENTBOT_GRAPH_RATE", 50),
		WorkplaceAppSecret:   r.str("WORKPLACE_APP_SECRET", ""),
		WorkplaceVerifyToken: r.str("WORKPLACE_VERIFY_TOKEN", ""),
		WorkplaceAccessToken: r.str("WORKPLACE_ACCESS_TOKEN", ""),
		WorkplaceGraphURL:    r.url("WORKPLACE_GRAPH_URL", DefaultWorkplaceGraph),
		WorkplaceGroups:      r.list("WORKPLACE_GROUPS", ""),
		Admins:               r.list("SEGMENTBOT_ADMINS", ""),
		APIKeys:              r.list("SEGMENTBOT_API_KEYS", ""),
		MetricsKey:           r.str("SEGMENTBOT_METRICS_KEY", ""),
		DownloadAllow:        r.list("SEGMENTBOT_DOWNLOAD_ALLOW", ""),
		MaxCSVBytes:          int64(r.int("SEGMENTBOT_MAX_CSV_BYTES", 52428800, 1, 1<<40)),
		LargeUpload:          int64(r.int("SEGMENTBOT_LARGE_UPLOAD", 2000, 1, 1<<40)),
		LeadTime:             r.duration("SEGMENTBOT_LEAD_TIME", 24*time.Hour),
		WarnSchedule:         r.str("SEGMENTBOT_WARN_SCHEDULE", "@every 5m"),
		DirectorySync:        r.str("SEGMENTBOT_DIRECTORY_SYNC", DefaultDirectorySync),
		OptOutKeywords:       r.list("SEGMENTBOT_OPTOUT_KEYWORDS", DefaultKeywords),
		Retention:            r.duration("SEGMENTBOT_REPORT_RETENTION", 30*24*time.Hour),
		LinkTTL:              r.duration("SEGMENTBOT_LINK_TTL", 24*time.Hour),
		ImportWorkers:        r.int("SEGMENTBOT_IMPORT_WORKERS", 2, 1, 64),
		ImportLease:          r.duration("SEGMENTBOT_IMPORT_LEASE", time.Minute),
		SendRate:             r.float("SEGMENTBOT_SEND_RATE", DefaultSendRate),
		SendLease:            r.duration("SEGMENTBOT_SEND_LEASE", 30*time.Second),
	}
	if strings.EqualFold(c.DirectorySync, DirectorySyncOff) {
		c.DirectorySync = DirectorySyncOff
	}
	if c.SendRate > MaxSendRate {
		r.fail("SEGMENTBOT_SEND_RATE", fmt.Sprintf("%v sends per second is more than %d", c.SendRate, MaxSendRate))
	}
	if c.SendLease < 3*time.Second {
		r.fail("SEGMENTBOT_SEND_LEASE", "must be at least 3s")
	}
	if err := c.LogLevel.UnmarshalText([]byte(r.str("SEGMENTBOT_LOG_LEVEL", "info"))); err != nil {
		r.fail("SEGMENTBOT_LOG_LEVEL", fmt.Sprintf("%q is not debug, info, warn or error", r.str("SEGMENTBOT_LOG_LEVEL", "")))
	}
	c.TeamsAppID = r.str("SEGMENTBOT_TEAMS_APP_ID", "")
	if c.TeamsAppID != "" && !isGUID(c.TeamsAppID) {
		r.fail("SEGMENTBOT_TEAMS_APP_ID", fmt.Sprintf("%q is not an app catalog id (a GUID such as 8f1c0f4e-0000-4000-8000-000000000000)", c.TeamsAppID))
	}
	if c.ImportLease < 3*time.Second {
		r.fail("SEGMENTBOT_IMPORT_LEASE", "must be at least 3s")
	}
	c.PublicURL = r.url("SEGMENTBOT_PUBLIC_URL", fmt.Sprintf("http://localhost:%d", c.Port))
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if key := getenv("SEGMENTBOT_SIGNING_KEY"); key != "" {
		if len(key) < 16 {
			r.fail("SEGMENTBOT_SIGNING_KEY", "must be at least 16 characters")
		}
		c.SigningKey, c.SigningKeySet = []byte(key), true
	} else {
		c.SigningKey = make([]byte, 32)
		if _, err := rand.Read(c.SigningKey); err != nil {
			r.fail("SEGMENTBOT_SIGNING_KEY", "cannot make a random key: "+err.Error())
		}
	}
	switch c.AppType {
	case "SingleTenant", "MultiTenant":
	default:
		r.fail("MicrosoftAppType", fmt.Sprintf("%q is not SingleTenant or MultiTenant", c.AppType))
	}
	switch auth := r.str("SEGMENTBOT_AUTH", ""); {
	case auth == "":
	case auth != "off":
		r.fail("SEGMENTBOT_AUTH", fmt.Sprintf("%q is not off (the only value; leave it unset to keep authentication on)", auth))
	case c.AppID != "":
		r.fail("SEGMENTBOT_AUTH", "is off while MicrosoftAppId is set: Teams authentication is on; unset one of them")
	default:
		c.AuthOff = true
	}
	if c.AppID != "" && c.AppPassword == "" {
		r.fail("MicrosoftAppPassword", "is required when MicrosoftAppId is set")
	}
	if c.AppID != "" && c.AppType == "SingleTenant" && c.AppTenantID == "" && c.TokenURL == "" {
		r.fail("MicrosoftAppTenantId", "is required for a SingleTenant bot")
	}
	if c.TokenURL == "" {
		tenant := c.AppTenantID
		if c.AppType == "MultiTenant" || tenant == "" {
			tenant = "botframework.com"
		}
		c.TokenURL = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		r.fail("DATABASE_URL", "must start with sqlite:, postgres:// or postgresql://")
	}
	if c.WorkplaceAppSecret != "" && c.WorkplaceVerifyToken == "" {
		r.fail("WORKPLACE_VERIFY_TOKEN", "is required when WORKPLACE_APP_SECRET is set")
	}
	for _, k := range c.APIKeys {
		if len(k) < 16 {
			r.fail("SEGMENTBOT_API_KEYS", "every key must be at least 16 characters")
			break
		}
	}
	if len(c.OptOutKeywords) == 0 {
		r.fail("SEGMENTBOT_OPTOUT_KEYWORDS", "must name at least one keyword")
	}
	if r.err != nil {
		return nil, read, r.err
	}
	return c, read, nil
}

// LoopbackOnly reports whether the service must listen on loopback only:
// Teams authentication is off (no MicrosoftAppId) and the operator did not
// accept that beyond loopback with SEGMENTBOT_AUTH=off. Fail closed: an
// unset or misspelled app id never opens /api/messages to the network.
func (c *Config) LoopbackOnly() bool { return c.AppID == "" && !c.AuthOff }

// isGUID reports whether s is a GUID in its 8-4-4-4-12 hex form.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", c):
			return false
		}
	}
	return true
}

// WorkplaceEnabled reports whether the Workplace endpoint is on.
func (c *Config) WorkplaceEnabled() bool { return c.WorkplaceAppSecret != "" }

// RandomID returns a short random hex id (replica / worker names).
func RandomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// reader collects the first error so Load reads straight through.
type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, problem string) {
	if r.err == nil {
		r.err = &Error{Var: name, Problem: problem}
	}
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) int(name string, def, min, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.fail(name, fmt.Sprintf("%q is not a whole number from %d to %d", v, min, max))
		return def
	}
	return n
}

func (r *reader) float(name string, def float64) float64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		r.fail(name, fmt.Sprintf("%q is not a positive number", v))
		return def
	}
	return f
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, fmt.Sprintf("%q is not a positive duration such as 24h or 90m", v))
		return def
	}
	return d
}

func (r *reader) url(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, fmt.Sprintf("%q is not an absolute http(s) URL", v))
	}
	return v
}

func (r *reader) list(name, def string) []string {
	var out []string
	for _, s := range strings.Split(r.str(name, def), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
