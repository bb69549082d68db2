package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/config"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaultsRunOnSQLiteWithNoSetup(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3978 || c.DatabaseURL != "sqlite:segmentbot.db" || c.AppID != "" {
		t.Errorf("defaults: %+v", c)
	}
	if c.PublicURL != "http://localhost:3978" || c.LeadTime != 24*time.Hour || c.LargeUpload != 2000 {
		t.Errorf("defaults: %+v", c)
	}
	if c.SigningKeySet || len(c.SigningKey) != 32 {
		t.Errorf("want a random 32-byte key, got set=%v len=%d", c.SigningKeySet, len(c.SigningKey))
	}
	if got := strings.Join(c.OptOutKeywords, "|"); got != "unsubscribe|stop|opt out|optout" {
		t.Errorf("keywords %q", got)
	}
	if c.TokenURL != "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token" {
		t.Errorf("token url %q", c.TokenURL)
	}
	if c.SendRate != 40 || c.SendLease != 30*time.Second {
		t.Errorf("send rate %v, lease %v; want 40/s and 30s", c.SendRate, c.SendLease)
	}
}

func TestSingleTenantTokenURLUsesTheBotsTenant(t *testing.T) {
	c, err := config.Load(env(map[string]string{"MicrosoftAppId": "a", "MicrosoftAppPassword": "p", "MicrosoftAppTenantId": "t1"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenURL != "https://login.microsoftonline.com/t1/oauth2/v2.0/token" {
		t.Errorf("token url %q", c.TokenURL)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		env     map[string]string
		wantVar string
	}{
		{map[string]string{"PORT": "http"}, "PORT"},
		{map[string]string{"PORT": "70000"}, "PORT"},
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"MicrosoftAppType": "Federated"}, "MicrosoftAppType"},
		{map[string]string{"MicrosoftAppId": "a"}, "MicrosoftAppPassword"},
		{map[string]string{"MicrosoftAppId": "a", "MicrosoftAppPassword": "p"}, "MicrosoftAppTenantId"},
		{map[string]string{"GRAPH_URL": "not a url"}, "GRAPH_URL"},
		{map[string]string{"BOT_OPENID_METADATA_URL": "ftp://x/y"}, "BOT_OPENID_METADATA_URL"},
		{map[string]string{"SEGMENTBOT_LEAD_TIME": "a day"}, "SEGMENTBOT_LEAD_TIME"},
		{map[string]string{"SEGMENTBOT_LARGE_UPLOAD": "-1"}, "SEGMENTBOT_LARGE_UPLOAD"},
		{map[string]string{"SEGMENTBOT_SIGNING_KEY": "short"}, "SEGMENTBOT_SIGNING_KEY"},
		{map[string]string{"SEGMENTBOT_API_KEYS": "abc"}, "SEGMENTBOT_API_KEYS"},
		{map[string]string{"WORKPLACE_APP_SECRET": "s"}, "WORKPLACE_VERIFY_TOKEN"},
		{map[string]string{"SEGMENTBOT_OPTOUT_KEYWORDS": " , "}, "SEGMENTBOT_OPTOUT_KEYWORDS"},
		{map[string]string{"SEGMENTBOT_IMPORT_LEASE": "1s"}, "SEGMENTBOT_IMPORT_LEASE"},
		{map[string]string{"SEGMENTBOT_SEND_RATE": "fast"}, "SEGMENTBOT_SEND_RATE"},
		{map[string]string{"SEGMENTBOT_SEND_RATE": "0"}, "SEGMENTBOT_SEND_RATE"},
		{map[string]string{"SEGMENTBOT_SEND_RATE": "-5"}, "SEGMENTBOT_SEND_RATE"},
		{map[string]string{"SEGMENTBOT_SEND_RATE": "2000000"}, "SEGMENTBOT_SEND_RATE"},
		{map[string]string{"SEGMENTBOT_SEND_LEASE": "1s"}, "SEGMENTBOT_SEND_LEASE"},
	}
	for _, tt := range tests {
		t.Run(tt.wantVar, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("want error naming %s, got %v", tt.wantVar, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error must be one line: %q", err)
			}
		})
	}
}

func TestTeamsAppIDIsAnAppCatalogGUID(t *testing.T) {
	c, err := config.Load(env(map[string]string{"SEGMENTBOT_TEAMS_APP_ID": " 8F1C0F4E-1234-4000-8000-00000000C0DE "}))
	if err != nil || c.TeamsAppID != "8F1C0F4E-1234-4000-8000-00000000C0DE" {
		t.Fatalf("TeamsAppID = %q, %v", c.TeamsAppID, err)
	}
	if c, _ := config.Load(env(nil)); c.TeamsAppID != "" {
		t.Fatalf("default TeamsAppID = %q, want empty (no installs)", c.TeamsAppID)
	}
	for _, bad := range []string{"com.contoso.segmentbot", "8f1c0f4e12344000800000000000c0de", "8f1c0f4e-1234-4000-8000-00000000c0dx"} {
		_, err := config.Load(env(map[string]string{"SEGMENTBOT_TEAMS_APP_ID": bad}))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != "SEGMENTBOT_TEAMS_APP_ID" || !strings.Contains(err.Error(), bad) {
			t.Fatalf("%q: err = %v, want one naming SEGMENTBOT_TEAMS_APP_ID and the value", bad, err)
		}
	}
}

func TestDirectorySyncIsDailyUnlessSetOrOff(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"", "@daily"},
		{"0 3 * * *", "0 3 * * *"},
		{" OFF ", "off"},
	} {
		c, err := config.Load(env(map[string]string{"SEGMENTBOT_DIRECTORY_SYNC": tt.value}))
		if err != nil || c.DirectorySync != tt.want {
			t.Errorf("SEGMENTBOT_DIRECTORY_SYNC=%q: %q, %v; want %q", tt.value, c.DirectorySync, err, tt.want)
		}
	}
}
