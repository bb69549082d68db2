package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/infracloudio/msbotbuilder-go/core/activity"
	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/config"
	"github.com/segmentbot/segmentbot/importer"
	"github.com/segmentbot/segmentbot/signer"
	"github.com/segmentbot/segmentbot/store"
)

// host is the existing bot: its own adapter and handlers, plus segmentbot.
type host struct {
	adapter   *core.BotFrameworkAdapter
	validator *teams.Validator
	conn      *teams.Connector
	store     *store.DB
	segments  *bot.Bot
	stopWork  context.CancelFunc
}

// newHost builds the bot. The adapter is msbotbuilder-go's, with
// segmentbot's token validator and connector client in place of the
// library's own (see DESIGN §7 for why).
func newHost(ctx context.Context, cfg *config.Config) (*host, error) {
	tc := teams.Config{AppID: cfg.AppID, AppPassword: cfg.AppPassword, TenantID: cfg.AppTenantID, AppType: cfg.AppType,
		OpenIDMetadataURL: cfg.OpenIDMetadataURL, TokenURL: cfg.TokenURL}
	validator, err := teams.NewValidator(tc)
	if err != nil {
		return nil, err
	}
	conn, err := teams.NewConnector(tc)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Imports of CSV files run in the background; without a Messenger the
	// runner applies them but reports nowhere.
	runner := &importer.Runner{Store: db, Fetcher: &importer.Fetcher{AllowHosts: cfg.DownloadAllow, MaxBytes: cfg.MaxCSVBytes, Timeout: time.Minute}}
	segments := bot.New(bot.Config{Admins: cfg.Admins, HomeTenant: cfg.AppTenantID, Keywords: cfg.OptOutKeywords, PublicURL: cfg.PublicURL},
		db, signer.New(cfg.SigningKey), imports{runner}, nil, nil)
	work, stopWork := context.WithCancel(context.Background())
	go runner.Run(work)
	return &host{
		adapter: &core.BotFrameworkAdapter{
			AdapterSetting: core.AdapterSetting{AppID: cfg.AppID, AppPassword: cfg.AppPassword,
				CredentialProvider: auth.SimpleCredentialProvider{AppID: cfg.AppID, Password: cfg.AppPassword}},
			TokenValidator: validator,
			Client:         conn,
		},
		validator: validator, conn: conn, store: db, segments: segments, stopWork: stopWork,
	}, nil
}

func (h *host) close() {
	h.stopWork()
	h.validator.Close(context.Background())
	h.store.Close()
}

// ServeHTTP is the bot's /api/messages, as msbotbuilder-go's samples write
// it, with segmentbot offered each message first.
func (h *host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	act, err := h.adapter.ParseRequest(r.Context(), r)
	if err != nil {
		http.Error(w, "not authenticated", http.StatusUnauthorized)
		return
	}
	if act.Type != schema.Message {
		return // installs, typing, reactions: nothing to say
	}
	if ev, ok := teams.EventFrom(act, teams.Sender(act)); ok && h.segments.Wants(ev) {
		err = h.receive(r.Context(), act, ev)
	} else {
		err = h.adapter.ProcessActivity(r.Context(), act, activity.HandlerFuncs{OnMessageFunc: echo})
	}
	if err != nil {
		slog.Error("plugin: activity failed", "activity", act.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// echo is the host's own handler: it echoes what segmentbot leaves.
func echo(turn *activity.TurnContext) (schema.Activity, error) {
	return turn.SendActivity(activity.MsgOptionText("echo: " + turn.Activity.Text))
}

// receive hands an event segmentbot wants to its one entrance, which
// stores the sender, runs it once however often the connector delivers
// it, and has the replies sent to the activity's conversation.
func (h *host) receive(ctx context.Context, act schema.Activity, ev segmentbot.Event) error {
	ref := activity.GetCoversationReference(act)
	_, err := h.segments.Receive(ctx, segmentbot.Inbound{Event: ev, Reply: func(ctx context.Context, resp *segmentbot.Response) error {
		msgs := resp.Messages
		if len(msgs) == 0 {
			msgs = []segmentbot.Message{{Text: "Done."}}
		}
		for _, m := range msgs {
			if _, err := h.conn.SendActivity(ctx, activity.ApplyConversationReference(teams.Reply(m), ref, false)); err != nil {
				return err
			}
		}
		return nil
	}})
	return err
}

// imports gives the bot the runner's entry points.
type imports struct{ *importer.Runner }

func (i imports) ImportValues(ctx context.Context, imp *segmentbot.Import, values []string) (*segmentbot.Import, []*segmentbot.ImportRow, error) {
	return i.RunNow(ctx, imp, values)
}
