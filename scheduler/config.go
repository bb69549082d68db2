package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/segmentbot/segmentbot"
)

// Defaults of Config; a zero field takes its default.
const (
	DefaultWarnSpec    = "@every 5m"
	DefaultLargeUpload = 2000
	DefaultLeadTime    = 24 * time.Hour
	DefaultRetention   = 30 * 24 * time.Hour
	// DefaultActivityRetention is how long a processed activity id is
	// remembered against redelivery; channels redeliver within minutes.
	DefaultActivityRetention = 7 * 24 * time.Hour
	DefaultRosterSpec        = "@daily"
	DefaultMaxAttempts       = 5
	DefaultLease             = 2 * time.Minute
	DefaultBatch             = 100
	DefaultStuckSpec         = "@every 15m"
	DefaultStuckAfter        = time.Hour
)

// DefaultDraftRetention is how long a broadcast preview is kept: well past
// the week in which its buttons still send it, so a late tap is told what
// became of it.
const DefaultDraftRetention = 30 * 24 * time.Hour

// Config tunes the scheduler. Zero values take the defaults above.
type Config struct {
	WarnSpec    string        // cron spec of the warning check
	LargeUpload int64         // rows that make an upload large
	LeadTime    time.Duration // minimum gap between a large upload and a broadcast
	Retention   time.Duration // finished imports older than this are deleted
	// ActivityRetention: processed activity ids older than this are
	// forgotten.
	ActivityRetention time.Duration
	RosterSpec        string        // cron spec of RefreshRosters
	MaxAttempts       int           // sends of one warning before it is given up
	Worker            string        // replica id that holds warning leases; hostname-pid when empty
	Lease             time.Duration // how long a claimed warning is ours to send
	Batch             int           // warnings claimed at once
	StuckAfter        time.Duration // a processing import not finished after this is reported as stuck
	Now               func() time.Time
	Logger            *slog.Logger
	// RefreshRosters reloads the rosters of the teams and groups the bot
	// is in; when nil no roster job is scheduled.
	RefreshRosters func(ctx context.Context) error
	// OnSent, when set, is called after each warning is delivered
	// (metrics).
	OnSent func(w *segmentbot.Warning)
	// Admins lists the configured admins the bot can reach: they are
	// warned about a late upload when neither its broadcast nor its import
	// came from a chat user (both made through REST). When nil, nobody is.
	Admins func(ctx context.Context) ([]*segmentbot.User, error)

	// DraftRetention: broadcast previews written longer ago than this
	// are deleted.
	DraftRetention time.Duration
}

// parser reads the five-field cron format and descriptors such as
// "@every 5m", "@hourly" and "@daily".
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSpec checks a cron spec ("@every 5m", "@daily", "*/10 * * * *") so
// a bad one stops start-up with a clear message.
func ParseSpec(spec string) error {
	if _, err := parser.Parse(spec); err != nil {
		return fmt.Errorf("cron spec %q: %w", spec, err)
	}
	return nil
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	setDefault(&c.WarnSpec, DefaultWarnSpec)
	setDefault(&c.RosterSpec, DefaultRosterSpec)
	for _, spec := range []string{c.WarnSpec, c.RosterSpec} {
		if err := ParseSpec(spec); err != nil {
			return c, err
		}
	}
	setDefault(&c.LargeUpload, DefaultLargeUpload)
	setDefault(&c.LeadTime, DefaultLeadTime)
	setDefault(&c.Retention, DefaultRetention)
	setDefault(&c.ActivityRetention, DefaultActivityRetention)
	setDefault(&c.DraftRetention, DefaultDraftRetention)
	setDefault(&c.MaxAttempts, DefaultMaxAttempts)
	setDefault(&c.Lease, DefaultLease)
	setDefault(&c.Batch, DefaultBatch)
	setDefault(&c.StuckAfter, DefaultStuckAfter)
	for name, v := range map[string]int64{
		"LargeUpload": c.LargeUpload, "LeadTime": int64(c.LeadTime), "Retention": int64(c.Retention), "ActivityRetention": int64(c.ActivityRetention),
		"MaxAttempts": int64(c.MaxAttempts), "Lease": int64(c.Lease), "Batch": int64(c.Batch), "StuckAfter": int64(c.StuckAfter),
		"DraftRetention": int64(c.DraftRetention),
	} {
		if v < 0 {
			return c, fmt.Errorf("scheduler config: %s must not be negative", name)
		}
	}
	if c.Worker == "" {
		host, _ := os.Hostname()
		c.Worker = host + "-" + strconv.Itoa(os.Getpid())
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// setDefault puts def in *v when *v is the zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
