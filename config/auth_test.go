package config_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/config"
)

func TestNoAppIDMeansLoopbackOnlyUnlessAuthIsTurnedOffExplicitly(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		loopback bool
	}{
		{"no app id", nil, true},
		{"an app id", map[string]string{"MicrosoftAppId": "a", "MicrosoftAppPassword": "p", "MicrosoftAppTenantId": "t"}, false},
		{"SEGMENTBOT_AUTH=off", map[string]string{"SEGMENTBOT_AUTH": "off"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.LoopbackOnly() != tt.loopback {
				t.Errorf("LoopbackOnly() = %v, want %v", c.LoopbackOnly(), tt.loopback)
			}
		})
	}
}

func TestSEGMENTBOT_AUTHAcceptsOnlyOffAndOnlyWithoutAnAppID(t *testing.T) {
	for _, e := range []map[string]string{
		{"SEGMENTBOT_AUTH": "no"},
		{"SEGMENTBOT_AUTH": "false"},
		{"SEGMENTBOT_AUTH": "off", "MicrosoftAppId": "a", "MicrosoftAppPassword": "p", "MicrosoftAppTenantId": "t"},
	} {
		_, err := config.Load(env(e))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != "SEGMENTBOT_AUTH" {
			t.Errorf("%v: want an error naming SEGMENTBOT_AUTH, got %v", e, err)
		}
	}
}

func TestANameThatDiffersOnlyInCaseStopsStartWithTheRightSpelling(t *testing.T) {
	tests := []struct{ given, want string }{
		{"MicrosoftAppID", "MicrosoftAppId"},
		{"database_url", "DATABASE_URL"},
		{"MICROSOFTAPPPASSWORD", "MicrosoftAppPassword"},
		{"Segmentbot_Signing_Key", "SEGMENTBOT_SIGNING_KEY"},
		{"segmentbot_auth", "SEGMENTBOT_AUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.given, func(t *testing.T) {
			_, err := config.LoadEnviron([]string{"HOME=/root", tt.given + "=value-of-at-least-16"})
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tt.given {
				t.Fatalf("want an error naming %s, got %v", tt.given, err)
			}
			if !strings.Contains(err.Error(), "did you mean "+tt.want+"?") {
				t.Errorf("error %q does not name %s", err, tt.want)
			}
		})
	}
	t.Run("exact names and unrelated variables pass", func(t *testing.T) {
		c, err := config.LoadEnviron([]string{"PATH=/bin", "MicrosoftAppId=", "DATABASE_URL=sqlite::memory:", "SEGMENTBOT_TEST_POSTGRES=x"})
		if err != nil {
			t.Fatal(err)
		}
		if c.DatabaseURL != "sqlite::memory:" {
			t.Errorf("DATABASE_URL = %q", c.DatabaseURL)
		}
	})
}

func TestLogLevelAndDatabaseWait(t *testing.T) {
	c, err := config.Load(env(map[string]string{"SEGMENTBOT_LOG_LEVEL": "debug", "SEGMENTBOT_DATABASE_WAIT": "5s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != slog.LevelDebug || c.DatabaseWait != 5*time.Second {
		t.Errorf("LogLevel %v, DatabaseWait %v", c.LogLevel, c.DatabaseWait)
	}
	if c, _ := config.Load(env(nil)); c.LogLevel != slog.LevelInfo || c.DatabaseWait != 30*time.Second {
		t.Errorf("defaults: LogLevel %v, DatabaseWait %v", c.LogLevel, c.DatabaseWait)
	}
	for name, bad := range map[string]string{"SEGMENTBOT_LOG_LEVEL": "loud", "SEGMENTBOT_DATABASE_WAIT": "forever"} {
		_, err := config.Load(env(map[string]string{name: bad}))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("%s=%s: want an error naming it, got %v", name, bad, err)
		}
	}
}
