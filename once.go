package segmentbot

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrRepeated is the error of a change made under a Once whose activity was
// recorded already: the activity was redelivered, and nothing changed.
var ErrRepeated = errors.New("segmentbot: the activity was processed already")

// Once is a channel activity that a membership change records in its own
// transaction, instead of the bot's entrance claiming it in a transaction
// before and marking it done in one after: a tap is then one commit, not
// three. Join and Leave record the Once their context carries, if it is
// not taken yet, and fail with ErrRepeated (changing nothing) when the
// activity was recorded before. The bot's entrance (Receiver) hands one
// down only for events it changes with at most one Join or Leave, and
// records the activity itself when nothing changed (Taken is false).
type Once struct {
	Channel string
	ID      string

	taken atomic.Bool
}

// Taken reports whether a change recorded the activity.
func (o *Once) Taken() bool { return o.taken.Load() }

// Take marks the activity recorded; the store calls it after the commit.
func (o *Once) Take() { o.taken.Store(true) }

type onceKey struct{}

// WithOnce returns ctx carrying o.
func WithOnce(ctx context.Context, o *Once) context.Context {
	return context.WithValue(ctx, onceKey{}, o)
}

// OnceFrom returns the Once ctx carries that no change has taken yet, or
// nil.
func OnceFrom(ctx context.Context) *Once {
	o, _ := ctx.Value(onceKey{}).(*Once)
	if o == nil || o.Taken() {
		return nil
	}
	return o
}
