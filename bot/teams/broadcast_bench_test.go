package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

// BenchmarkSendBroadcast is one broadcast copy posted to a known personal
// chat on the loopback fake connector: the channel's own cost per send.
// BenchmarkBarePost is the baseline of the same run: the same activity
// body POSTed with a ready token and nothing else.
func BenchmarkSendBroadcast(b *testing.B) {
	kit, ch, _ := broadcastSetup(b)
	u := chatUser(kit, "Bench")
	msg := news()
	ctx := context.Background()
	if err := ch.SendBroadcast(ctx, u, msg); err != nil { // the token, once
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := ch.SendBroadcast(ctx, u, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBarePost(b *testing.B) {
	kit, ch, _ := broadcastSetup(b)
	u := chatUser(kit, "Bench")
	if err := ch.SendBroadcast(context.Background(), u, news()); err != nil {
		b.Fatal(err)
	}
	body := kit.Sent()[0].Body
	target := kit.Connector.URL + "/v3/conversations/" + url.PathEscape(teamstest.PersonalConversation(teamstest.NewUser("Bench"))) + "/activities"
	token := kitToken(b, kit)
	hc := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// kitToken gets a connector token from the kit as the channel does.
func kitToken(b *testing.B, kit *teamstest.Kit) string {
	b.Helper()
	resp, err := http.PostForm(kit.Token.URL+"/"+teamstest.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {teamstest.AppID}, "client_secret": {"secret"},
		"scope": {"https://api.botframework.com/.default"},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}
