package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestActivities(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		begin := func(id string) bool {
			t.Helper()
			ok, err := db.BeginActivity(ctx, "msteams", id, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		tests := []struct {
			name  string
			steps func(id string) bool // the last Begin's answer
			want  bool
		}{
			{"a new activity is claimed", func(id string) bool { return begin(id) }, true},
			{"one being processed is not claimed twice", func(id string) bool { begin(id); return begin(id) }, false},
			{"one processed is never claimed again", func(id string) bool {
				begin(id)
				db.FinishActivity(ctx, "msteams", id, true)
				clock.t = clock.t.Add(time.Hour)
				return begin(id)
			}, false},
			{"a released claim is claimed again", func(id string) bool {
				begin(id)
				db.FinishActivity(ctx, "msteams", id, false)
				return begin(id)
			}, true},
			{"a stale claim is taken over", func(id string) bool {
				begin(id)
				clock.t = clock.t.Add(2 * time.Minute)
				return begin(id)
			}, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := tt.steps(tt.name); got != tt.want {
					t.Fatalf("BeginActivity = %v, want %v", got, tt.want)
				}
			})
		}
	})
}
