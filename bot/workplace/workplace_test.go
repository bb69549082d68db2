package workplace

import (
	"context"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
)

func TestNewRefusesIncompleteConfig(t *testing.T) {
	good := Config{AppSecret: "s", VerifyToken: "v", AccessToken: "a"}
	users := newSetup(t, "sqlite").users
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no app secret", func(c *Config) { c.AppSecret = "" }},
		{"no verify token", func(c *Config) { c.VerifyToken = "" }},
		{"no access token", func(c *Config) { c.AccessToken = "" }},
		{"Graph URL that is not http", func(c *Config) { c.GraphURL = "ftp://graph.example" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			if _, err := New(cfg, bot.NewEntrance(&recorder{}, users, users), users); segmentbot.ErrorCode(err) != segmentbot.EINVALID {
				t.Fatalf("New = %v; want EINVALID", err)
			}
		})
	}
	t.Run("complete config defaults the Graph URL", func(t *testing.T) {
		ch, err := New(good, bot.NewEntrance(&recorder{}, users, users), users)
		if err != nil || ch.graph.base.String() != DefaultGraphURL {
			t.Fatalf("New = %v; Graph %v; want %s", err, ch.graph.base, DefaultGraphURL)
		}
	})
}

func TestLimiterSpacesCalls(t *testing.T) {
	l := newLimiter(100) // one call per 10 ms
	start := time.Now()
	for range 5 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 40*time.Millisecond {
		t.Fatalf("5 calls at 100/s took %v; want at least 40ms", took)
	}
	if newLimiter(-1) != nil {
		t.Fatal("a negative rate should mean no limit")
	}
}
