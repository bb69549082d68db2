package teams

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// Defaults of the public Bot Framework and Microsoft Graph clouds.
const (
	DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	DefaultTokenURL          = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
	DefaultGraphURL          = "https://graph.microsoft.com/v1.0"
	DefaultGraphRate         = 50

	AppTypeSingleTenant = "SingleTenant"
	AppTypeMultiTenant  = "MultiTenant"

	botFrameworkTenant = "botframework.com"
	botFrameworkScope  = "https://api.botframework.com/.default"
	graphScope         = "https://graph.microsoft.com/.default"
	tokenIssuer        = "https://api.botframework.com"
)

// Config configures the Teams channel. Empty AppID turns request
// authentication and outbound tokens off (local development only).
type Config struct {
	AppID             string
	AppPassword       string
	TenantID          string
	AppType           string // SingleTenant (default) or MultiTenant
	OpenIDMetadataURL string
	TokenURL          string // may contain {tenant}
	GraphURL          string
	GraphRate         float64 // Graph requests per second
	// CatalogAppID is the Teams app's id in the org's app catalog
	// (SEGMENTBOT_TEAMS_APP_ID). When set, a broadcast reaches a user the
	// bot has no chat with by installing the app for them through Graph.
	CatalogAppID string
	// ServiceURL is where chats are opened for a user known only through
	// Graph when no team of their tenant is known (e.g. the public
	// cloud's global https://smba.trafficmanager.net/teams/). Empty: such
	// a user is not_reachable until the bot is in a team of the tenant.
	ServiceURL string
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// withDefaults fills the empty fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.AppType == "" {
		c.AppType = AppTypeSingleTenant
	}
	if c.AppType != AppTypeSingleTenant && c.AppType != AppTypeMultiTenant {
		return c, segmentbot.Errorf(segmentbot.EINVALID, "MicrosoftAppType must be %s or %s, not %q", AppTypeSingleTenant, AppTypeMultiTenant, c.AppType)
	}
	if c.AppID != "" && c.AppType == AppTypeSingleTenant && c.TenantID == "" && (c.TokenURL == "" || strings.Contains(c.TokenURL, "{tenant}")) {
		return c, segmentbot.Errorf(segmentbot.EINVALID, "MicrosoftAppTenantId is required for a SingleTenant bot")
	}
	if c.OpenIDMetadataURL == "" {
		c.OpenIDMetadataURL = DefaultOpenIDMetadataURL
	}
	if c.TokenURL == "" {
		c.TokenURL = DefaultTokenURL
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	c.GraphURL = strings.TrimRight(c.GraphURL, "/")
	if c.GraphRate <= 0 {
		c.GraphRate = DefaultGraphRate
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	// Tokens must never follow a redirect to another host.
	hc := *c.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.HTTPClient = &hc
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// tokenURL returns the token endpoint for tenant; an empty tenant means the
// bot's own (SingleTenant) or botframework.com (MultiTenant).
func (c Config) tokenURL(tenant string) string {
	if tenant == "" {
		tenant = c.TenantID
		if c.AppType == AppTypeMultiTenant || tenant == "" {
			tenant = botFrameworkTenant
		}
	}
	return strings.ReplaceAll(c.TokenURL, "{tenant}", tenant)
}

// graphTenant is the tenant whose Graph is asked about a user of userTenant.
func (c Config) graphTenant(userTenant string) string {
	if c.AppType == AppTypeMultiTenant && userTenant != "" {
		return userTenant
	}
	return c.TenantID
}

func (c Config) String() string {
	return fmt.Sprintf("teams.Config{AppID:%q AppType:%s TenantID:%q}", c.AppID, c.AppType, c.TenantID)
}
