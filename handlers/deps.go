package handlers

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/metrics"
	"github.com/segmentbot/segmentbot/signer"
)

// Default limits used when Deps leaves them zero.
const (
	DefaultMaxBody     = 1 << 20  // 1 MiB: Bot Framework activities and webhooks
	DefaultMaxCSVBytes = 50 << 20 // SEGMENTBOT_MAX_CSV_BYTES default
	DefaultBodyTimeout = 10 * time.Second
)

// ActivityProcessor authenticates and handles one Bot Framework activity.
// The result, when not nil, is the invoke response written as JSON.
// Errors carry EUNAUTHORIZED, EFORBIDDEN, EINVALID, ETOOLARGE, or
// EUNAVAILABLE when the request cannot be checked just now (503).
type ActivityProcessor interface {
	ProcessActivity(ctx context.Context, authorization string, body []byte) (any, error)
}

// WebhookProcessor is the Meta (Workplace / Messenger) webhook channel.
type WebhookProcessor interface {
	// Verify answers the subscription handshake: the challenge to echo,
	// or an error when the token does not match.
	Verify(mode, token, challenge string) (string, error)
	// ProcessWebhook checks the signatures over the raw body (EFORBIDDEN
	// when they do not match) and handles the events.
	ProcessWebhook(ctx context.Context, sig256, sig1 string, body []byte) error
}

// CardMaker builds the opt-in / opt-out card of a segment with signed
// actions.
type CardMaker interface {
	SegmentCard(ctx context.Context, segmentID int64) (segmentbot.Message, error)
}

// MemberEditor adds and removes members by email, with one report row per
// email.
type MemberEditor interface {
	AddEmails(ctx context.Context, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error)
	RemoveEmails(ctx context.Context, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error)
}

// Uploader starts a background import of a CSV file into a segment. It
// reads body before it returns.
type Uploader interface {
	StartUpload(ctx context.Context, segmentID int64, body io.Reader, fileName string) (*segmentbot.Import, error)
}

// Hooks are optional callbacks run after a successful change.
type Hooks struct {
	// BroadcastChanged runs after a broadcast is scheduled or cancelled
	// (the scheduler's immediate late-upload check).
	BroadcastChanged func(ctx context.Context, b *segmentbot.Broadcast)
	// SegmentDeleted runs after a segment is deleted, with the broadcasts
	// that were cancelled with it (to tell their authors).
	SegmentDeleted func(ctx context.Context, seg *segmentbot.Segment, cancelled []*segmentbot.Broadcast)
}

// Deps is what the HTTP layer serves. A nil field turns its part off: its
// routes are not mounted and answer 404.
type Deps struct {
	Store     segmentbot.Store
	Teams     ActivityProcessor
	Workplace WebhookProcessor
	// APIKeys are the bearer keys of /v1; none turns the REST API off.
	APIKeys []string
	// Signer parses /downloads tokens; nil turns downloads off.
	Signer  *signer.Signer
	Cards   CardMaker
	Members MemberEditor
	Uploads Uploader
	Hooks   Hooks
	// Logger receives one JSON line per request and internal error details;
	// nil logs JSON to stderr.
	Logger *slog.Logger
	// MaxBody caps /api/messages, webhooks and JSON bodies (default 1 MiB).
	MaxBody int64
	// MaxCSVBytes caps uploaded CSV files (default 50 MiB).
	MaxCSVBytes int64
	// BodyTimeout bounds reading the body of /api/messages and
	// /webhooks/workplace (default 10 s); uploads keep the server's own.
	BodyTimeout time.Duration
	// Now is the clock (default time.Now).
	Now     func() time.Time
	Metrics *metrics.Metrics
	// MetricsKey, when set, is the bearer key /metrics requires
	// (SEGMENTBOT_METRICS_KEY); empty leaves /metrics open.
	MetricsKey string
}
