package teams_test

import (
	"context"
	"sync"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

func TestProcessActivityAuthentication(t *testing.T) {
	alice := teamstest.NewUser("Alice")
	tests := []struct {
		name   string
		header func(kit *teamstest.Kit, a teamstest.Activity) string
		ok     bool
	}{
		{"valid token is accepted", func(k *teamstest.Kit, a teamstest.Activity) string { return k.Sign(a) }, true},
		{"no header is refused", func(*teamstest.Kit, teamstest.Activity) string { return "" }, false},
		{"garbage is refused", func(*teamstest.Kit, teamstest.Activity) string { return "Bearer not.a.jwt" }, false},
		{"missing bearer prefix is refused", func(k *teamstest.Kit, a teamstest.Activity) string { return k.Sign(a)[len("Bearer "):] }, false},
		{"bad signature is refused", sign(teamstest.BadSignature()), false},
		{"expired token is refused", sign(teamstest.Expired()), false},
		{"token not yet valid is refused", sign(teamstest.NotYetValid()), false},
		{"wrong audience is refused", sign(teamstest.Audience("another-app")), false},
		{"audience of the wrong type is refused", sign(teamstest.Claim("aud", 42)), false},
		{"wrong issuer is refused", sign(teamstest.Issuer("https://sts.windows.net/evil/")), false},
		{"alg none is refused", sign(teamstest.AlgNone()), false},
		{"HS256 is refused", sign(teamstest.HS256()), false},
		{"unknown kid is refused", sign(teamstest.UnknownKid()), false},
		{"serviceurl mismatch is refused", sign(teamstest.ServiceURL("https://evil.example/")), false},
		{"missing serviceurl is refused", sign(teamstest.Claim("serviceurl", nil)), false},
		{"serviceurl of the wrong type is refused", sign(teamstest.Claim("serviceurl", []string{"x"})), false},
		{"missing exp is refused", sign(teamstest.Claim("exp", nil)), false},
		{"key not endorsed for msteams is refused", sign(teamstest.Unendorsed()), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := echo("hi")
			kit, ch, store := setup(t, bot)
			a := kit.Message(alice, "hello")
			_, err := ch.ProcessActivity(context.Background(), tt.header(kit, a), a.JSON())
			if tt.ok {
				if err != nil {
					t.Fatalf("ProcessActivity: %v", err)
				}
				if store.countUsers() != 1 || len(bot.Events()) != 1 {
					t.Fatalf("stored %d users, handled %d events; want 1 and 1", store.countUsers(), len(bot.Events()))
				}
				return
			}
			if code := segmentbot.ErrorCode(err); code != segmentbot.EUNAUTHORIZED {
				t.Fatalf("error code %q (%v), want %q", code, err, segmentbot.EUNAUTHORIZED)
			}
			if store.countUsers() != 0 || len(bot.Events()) != 0 {
				t.Fatalf("refused request stored %d users and handled %d events", store.countUsers(), len(bot.Events()))
			}
		})
	}
}

func sign(opts ...teamstest.SignOption) func(*teamstest.Kit, teamstest.Activity) string {
	return func(k *teamstest.Kit, a teamstest.Activity) string { return k.Sign(a, opts...) }
}

func TestSigningKeysAreNotFetchedPerRequest(t *testing.T) {
	kit, ch, _ := setup(t, &fakeBot{})
	alice := teamstest.NewUser("Alice")
	if _, err := deliver(t, kit, ch, kit.Message(alice, "warm up")); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	meta, jwks := kit.MetadataRequests(), kit.JWKSRequests()
	if meta != 1 || jwks < 1 {
		t.Fatalf("warm-up fetched metadata %d times and keys %d times; want 1 and at least 1", meta, jwks)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := kit.Message(teamstest.NewUser("User "+string(rune('A'+i%26))), "hello")
			_, err := ch.ProcessActivity(context.Background(), kit.Sign(a), a.JSON())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("ProcessActivity: %v", err)
		}
	}
	if kit.MetadataRequests() != meta || kit.JWKSRequests() != jwks {
		t.Fatalf("200 activities fetched metadata %d and keys %d more times; want 0",
			kit.MetadataRequests()-meta, kit.JWKSRequests()-jwks)
	}
}

func TestAuthenticationOff(t *testing.T) {
	kit := teamstest.New(t)
	cfg := kit.Config()
	cfg.AppID, cfg.AppPassword = "", ""
	store, bot := newMemStore(), &fakeBot{}
	ch, err := newChannel(cfg, bot, store)
	if err != nil {
		t.Fatal(err)
	}
	if ch.AuthEnabled() {
		t.Fatal("AuthEnabled() = true with an empty app id")
	}
	a := kit.Message(teamstest.NewUser("Dev"), "hello")
	if _, err := ch.ProcessActivity(context.Background(), "", a.JSON()); err != nil {
		t.Fatalf("unauthenticated activity with auth off: %v", err)
	}
	if kit.MetadataRequests() != 0 {
		t.Fatal("auth off still fetched the OpenID metadata")
	}
}

// The connector sends one token with many activities. A token whose
// signature was checked once is still held to its claims on every reuse:
// accepted again for its own service URL, refused for another.
func TestAReusedTokenIsCheckedAgainstEveryActivity(t *testing.T) {
	kit, ch, _ := setup(t, echo("hi"))
	alice := teamstest.NewUser("Alice")
	first := kit.Message(alice, "hello")
	header := kit.Sign(first)
	for i := range 2 {
		a := kit.Message(alice, "again")
		if _, err := ch.ProcessActivity(context.Background(), header, a.JSON()); err != nil {
			t.Fatalf("use %d of a valid token: %v", i+1, err)
		}
	}
	moved := kit.Message(alice, "elsewhere")
	moved["serviceUrl"] = "https://evil.example/"
	_, err := ch.ProcessActivity(context.Background(), header, moved.JSON())
	if code := segmentbot.ErrorCode(err); code != segmentbot.EUNAUTHORIZED {
		t.Fatalf("the token reused for another service URL: error code %q (%v), want %q", code, err, segmentbot.EUNAUTHORIZED)
	}
}
