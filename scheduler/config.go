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
	// DefaultDirectorySpec is SEGMENTBOT_DIRECTORY_SYNC's default (DESIGN
	// §2); DirectoryOff turns the job off.
	DefaultDirectorySpec = "@daily"
	DirectoryOff         = "off"
	// DefaultDirectoryLease is how long a replica's claim on a tenant's
	// sync lasts without a write renewing it.
	DefaultDirectoryLease = 10 * time.Minute
	// DefaultDirectoryBatch users go to the store in one transaction;
	// DefaultDirectoryWriters transactions at once (PostgreSQL runs them
	// side by side; SQLite queues them on its one writer).
	DefaultDirectoryBatch   = 1000
	DefaultDirectoryWriters = 3
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
	// DirectorySpec is the cron spec of SyncDirectory, or DirectoryOff.
	DirectorySpec string
	// Directory reads the Teams directory (Microsoft Graph) for
	// SyncDirectory; when nil no directory job is scheduled.
	Directory        segmentbot.DirectoryReader
	DirectoryLease   time.Duration
	DirectoryBatch   int
	DirectoryWriters int
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
	setDefault(&c.DirectorySpec, DefaultDirectorySpec)
	for _, spec := range []string{c.WarnSpec, c.RosterSpec, c.DirectorySpec} {
		if spec == DirectoryOff && spec == c.DirectorySpec {
			continue
		}
		if err := ParseSpec(spec); err != nil {
			return c, err
		}
	}
	setDefault(&c.DirectoryLease, DefaultDirectoryLease)
	setDefault(&c.DirectoryBatch, DefaultDirectoryBatch)
	setDefault(&c.DirectoryWriters, DefaultDirectoryWriters)
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
		"DirectoryLease": int64(c.DirectoryLease), "DirectoryBatch": int64(c.DirectoryBatch), "DirectoryWriters": int64(c.DirectoryWriters),
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
