package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/workplace"
	"github.com/segmentbot/segmentbot/broadcaster"
	"github.com/segmentbot/segmentbot/config"
	"github.com/segmentbot/segmentbot/handlers"
	"github.com/segmentbot/segmentbot/importer"
	"github.com/segmentbot/segmentbot/metrics"
	"github.com/segmentbot/segmentbot/scheduler"
	"github.com/segmentbot/segmentbot/signer"
	"github.com/segmentbot/segmentbot/store"
)

// app is the whole service built from a Config: the real one for serve,
// and the same one against fakes for demo.
type app struct {
	cfg       *config.Config
	log       *slog.Logger
	store     *store.DB
	bot       *bot.Bot
	teams     *teams.Channel
	workplace *workplace.Channel
	runner    *importer.Runner
	bcast     *broadcaster.Broadcaster
	sched     *scheduler.Scheduler
	handler   http.Handler

	cancel context.CancelFunc
	done   chan struct{}
}

// newApp opens the database (applying migrations) and builds every room.
// httpClient is used for all outbound calls (nil: the channels' defaults);
// now is the clock of every room, the store's included.
func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, httpClient *http.Client, now func() time.Time) (*app, error) {
	if err := scheduler.ParseSpec(cfg.WarnSchedule); err != nil {
		return nil, fmt.Errorf("SEGMENTBOT_WARN_SCHEDULE: %w", err)
	}
	if cfg.DirectorySync != config.DirectorySyncOff {
		if err := scheduler.ParseSpec(cfg.DirectorySync); err != nil {
			return nil, fmt.Errorf("SEGMENTBOT_DIRECTORY_SYNC: %w (or off)", err)
		}
	}
	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	db.Now = now // one clock for every room: the store stamps what the others compare
	a := &app{cfg: cfg, log: log, store: db}
	if err := a.build(httpClient, now); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) build(httpClient *http.Client, now func() time.Time) error {
	cfg, log := a.cfg, a.log
	if httpClient == nil {
		httpClient = outboundClient()
	}
	sign := signer.New(cfg.SigningKey)
	m := metrics.New()
	messengers := map[string]segmentbot.Messenger{}
	directories := map[string]segmentbot.Directory{}
	imports := &importAdapter{store: a.store}

	a.bot = bot.New(bot.Config{
		Admins:            cfg.Admins,
		HomeTenant:        cfg.AppTenantID,
		Keywords:          cfg.OptOutKeywords,
		PublicURL:         cfg.PublicURL,
		LinkTTL:           cfg.LinkTTL,
		ParseWhen:         scheduler.ParseWhen,
		BroadcastChanged:  a.broadcastChanged,
		MembershipChanged: func(source, action string) { m.MembershipChanges.WithLabelValues(source, action).Inc() },
		Now:               now,
		Logger:            log,
	}, a.store, sign, imports, directories, messengers)

	tc, err := teams.New(teams.Config{
		AppID: cfg.AppID, AppPassword: cfg.AppPassword, TenantID: cfg.AppTenantID, AppType: cfg.AppType,
		OpenIDMetadataURL: cfg.OpenIDMetadataURL, TokenURL: cfg.TokenURL, GraphURL: cfg.GraphURL,
		GraphRate: cfg.GraphRate, CatalogAppID: cfg.TeamsAppID, HTTPClient: httpClient, Logger: log,
	}, a.bot, a.store)
	if err != nil {
		return fmt.Errorf("teams channel: %w", err)
	}
	a.teams = tc
	messengers[segmentbot.ChannelTeams] = tc
	// One Graph client for lookups and the directory sync: they share
	// its rate limit.
	var graph *teams.Graph
	if cfg.AppID != "" {
		graph = tc.Graph()
		directories[segmentbot.ChannelTeams] = graph
	}
	var wp handlers.WebhookProcessor
	if cfg.WorkplaceEnabled() {
		w, err := workplace.New(workplace.Config{
			AppSecret: cfg.WorkplaceAppSecret, VerifyToken: cfg.WorkplaceVerifyToken, AccessToken: cfg.WorkplaceAccessToken,
			GraphURL: cfg.WorkplaceGraphURL, Groups: cfg.WorkplaceGroups, HTTPClient: httpClient, Logger: log,
		}, a.bot, a.store)
		if err != nil {
			return fmt.Errorf("workplace channel: %w", err)
		}
		a.workplace, wp = w, w
		messengers[segmentbot.ChannelWorkplace] = w
		directories[segmentbot.ChannelWorkplace] = w
	}

	a.runner = &importer.Runner{
		Store:       a.store,
		Directories: directories,
		Messengers:  messengers,
		Fetcher:     &importer.Fetcher{AllowHosts: cfg.DownloadAllow, MaxBytes: cfg.MaxCSVBytes, Timeout: 2 * time.Minute},
		Links:       a.bot,
		Workers:     cfg.ImportWorkers,
		Lease:       cfg.ImportLease,
		OnFinish:    a.importFinished(m),
		Logger:      log,
		Now:         now,
	}
	imports.runner = a.runner
	// REST uploads resolve their misses through the primary channel's
	// directory, Teams first.
	for _, ch := range []string{segmentbot.ChannelTeams, segmentbot.ChannelWorkplace} {
		if directories[ch] != nil {
			imports.channel = ch
			break
		}
	}

	// Outbound broadcasts go through the broadcaster alone (one door).
	senders := map[string]segmentbot.Sender{segmentbot.ChannelTeams: tc}
	if a.workplace != nil {
		senders[segmentbot.ChannelWorkplace] = a.workplace
	}
	a.bcast, err = broadcaster.New(broadcaster.Config{
		Store:   a.store,
		Senders: senders,
		Compose: func(_ context.Context, b *segmentbot.Broadcast, seg *segmentbot.Segment) (segmentbot.Message, error) {
			return broadcaster.Copy(b, seg, sign), nil
		},
		Reporter: a.bot.Reporter(),
		Rate:     cfg.SendRate,
		Lease:    cfg.SendLease,
		OnSend: func(channel, status string, took time.Duration) {
			m.BroadcastSends.WithLabelValues(channel, status).Inc()
			m.BroadcastSendLatency.WithLabelValues(channel).Observe(took.Seconds())
		},
		Logger: log,
		Now:    now,
	})
	if err != nil {
		return fmt.Errorf("broadcaster: %w", err)
	}

	schedCfg := scheduler.Config{
		WarnSpec: cfg.WarnSchedule, LargeUpload: cfg.LargeUpload, LeadTime: cfg.LeadTime,
		Retention: cfg.Retention, Now: now, Logger: log, RefreshRosters: a.refreshRosters,
		DirectorySpec: cfg.DirectorySync,
		OnSent:        func(*segmentbot.Warning) { m.WarningsSent.Inc() },
		Admins:        a.bot.AdminUsers,
	}
	if graph != nil {
		schedCfg.Directory = graph
	}
	a.sched, err = scheduler.New(schedCfg, a.store, messengers, a.bot)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}

	deps := handlers.Deps{
		Store: a.store, Teams: tc, APIKeys: cfg.APIKeys, Signer: sign,
		Cards: a.bot, Members: a.bot, Uploads: imports, Logger: log,
		MaxCSVBytes: cfg.MaxCSVBytes, Now: now, Metrics: m, MetricsKey: cfg.MetricsKey,
		Hooks: handlers.Hooks{BroadcastChanged: a.broadcastChanged, SegmentDeleted: a.bot.TellCancelled},
	}
	if wp != nil {
		deps.Workplace = wp
	}
	a.handler = handlers.New(deps)
	return nil
}

// webhookWorkers handle the queued Workplace events of a large webhook.
const webhookWorkers = 2

// start runs the import workers, the webhook queue workers, the
// broadcaster and the scheduler until stop.
func (a *app) start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel, a.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.runner.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("import workers stopped", "err", err)
		}
	})
	if a.workplace != nil {
		wg.Go(func() { a.workplace.RunQueue(ctx, webhookWorkers) })
	}
	wg.Go(func() {
		if err := a.bcast.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("broadcaster stopped", "err", err)
		}
	})
	go func() {
		defer close(a.done)
		wg.Wait()
	}()
	a.sched.Start()
}

// stop drains the workers, the scheduler and the channel's reply queue,
// then closes the database.
func (a *app) stop(ctx context.Context) {
	if a.cancel != nil {
		a.cancel()
		select {
		case <-a.done:
		case <-ctx.Done():
		}
	}
	if a.sched != nil {
		if err := a.sched.Stop(ctx); err != nil {
			a.log.Warn("scheduler stop", "err", err)
		}
	}
	if a.teams != nil {
		a.teams.Close(ctx)
	}
	a.store.Close()
}

func (a *app) broadcastChanged(ctx context.Context, _ *segmentbot.Broadcast) {
	a.bcast.Wake()
	if err := a.sched.CheckNow(ctx); err != nil {
		a.log.Warn("lead-time check after a broadcast change", "err", err)
	}
}

func (a *app) importFinished(m *metrics.Metrics) func(ctx context.Context, imp *segmentbot.Import) {
	return func(ctx context.Context, imp *segmentbot.Import) {
		m.ImportsFinished.WithLabelValues(imp.Status).Inc()
		for outcome, n := range map[string]int64{
			segmentbot.OutcomeAdded: imp.Added, segmentbot.OutcomeAlreadyMember: imp.AlreadyMember,
			segmentbot.OutcomeSkippedOptedOut: imp.SkippedOptOut, segmentbot.OutcomeDuplicate: imp.Duplicates,
			segmentbot.OutcomeFailed: imp.Failed,
		} {
			m.ImportRows.WithLabelValues(outcome).Add(float64(n))
		}
		if imp.Total >= a.cfg.LargeUpload {
			if err := a.sched.CheckNow(ctx); err != nil {
				a.log.Warn("lead-time check after an import", "import", imp.ID, "err", err)
			}
		}
	}
}

func (a *app) refreshRosters(ctx context.Context) error {
	if err := a.teams.RefreshRosters(ctx); err != nil {
		return err
	}
	if a.workplace != nil {
		if err := a.workplace.SyncGroups(ctx); err != nil {
			return fmt.Errorf("workplace groups: %w", err)
		}
	}
	return nil
}

// importAdapter gives the bot and the REST layer the importer's entry
// points.
type importAdapter struct {
	store   segmentbot.Store
	runner  *importer.Runner
	channel string // whose directory resolves REST uploads; "api" when none
}

func (i *importAdapter) Wake() { i.runner.Wake() }

func (i *importAdapter) ImportValues(ctx context.Context, imp *segmentbot.Import, values []string) (*segmentbot.Import, []*segmentbot.ImportRow, error) {
	return i.runner.RunNow(ctx, imp, values)
}

func (i *importAdapter) StartUpload(ctx context.Context, segmentID int64, body io.Reader, fileName string) (*segmentbot.Import, error) {
	channel := i.channel
	if channel == "" {
		channel = "api"
	}
	imp := &segmentbot.Import{SegmentID: segmentID, Channel: channel, FileName: fileName}
	imp, err := importer.StartUpload(ctx, i.store, imp, body)
	if err != nil {
		return imp, err
	}
	i.runner.Wake()
	return imp, nil
}

// outboundClient is the HTTP client of every outbound call. A broadcast
// keeps up to the broadcaster's window of sends in flight to one Bot
// Connector host; the default transport keeps only two idle connections
// per host, and would open (and leave in TIME_WAIT) a new one for nearly
// every send.
func outboundClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * broadcaster.DefaultWindow
	t.MaxIdleConnsPerHost = broadcaster.DefaultWindow
	// 20 s, the Teams channel's timeout of one attempt, so that it needs
	// no timer of its own; Workplace's calls have shorter ones.
	return &http.Client{Timeout: 20 * time.Second, Transport: t}
}
