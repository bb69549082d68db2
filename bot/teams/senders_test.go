package teams_test

import (
	"testing"

	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

func TestARepeatSenderIsStoredOnceUntilTheirDetailsChange(t *testing.T) {
	bot := echo("ok")
	kit, ch, store := setup(t, bot)
	ann := teamstest.NewUser("Ann")
	for i := 0; i < 5; i++ {
		if _, err := deliver(t, kit, ch, kit.Message(ann, "hi")); err != nil {
			t.Fatal(err)
		}
	}
	if store.upserts != 1 {
		t.Fatalf("five messages from one unchanged sender made %d directory writes, want 1", store.upserts)
	}
	for _, ev := range bot.Events() {
		if ev.Sender.ID == 0 {
			t.Fatal("a cached sender reached the bot without its directory id")
		}
	}
	renamed := ann
	renamed.Name = "Ann Smith"
	if _, err := deliver(t, kit, ch, kit.Message(renamed, "hi")); err != nil {
		t.Fatal(err)
	}
	if store.upserts != 2 {
		t.Fatalf("a renamed sender must be stored again: %d writes", store.upserts)
	}
}
