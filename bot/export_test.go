package bot_test

import (
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
)

// newBotWithAdmins rebuilds w's bot with another admin list.
func newBotWithAdmins(w *world, admins []string) *bot.Bot {
	return bot.New(bot.Config{Admins: admins, Keywords: []string{"stop"}, PublicURL: "https://bot.example.com",
		Now: func() time.Time { return w.now }}, w.db, w.signer, w.imports, nil, map[string]segmentbot.Messenger{})
}
