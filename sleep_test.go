package segmentbot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
)

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, d := range []time.Duration{-time.Second, 0, time.Hour} {
		if err := segmentbot.Sleep(ctx, d); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep(cancelled, %s) = %v, want context.Canceled", d, err)
		}
	}
}

func TestSleepWithNothingToWaitForReturnsNil(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 0, time.Nanosecond} {
		if err := segmentbot.Sleep(context.Background(), d); err != nil {
			t.Errorf("Sleep(background, %s) = %v, want nil", d, err)
		}
	}
}
