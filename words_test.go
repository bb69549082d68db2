package segmentbot_test

import (
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
)

func TestNumbersPluralsAndDurationsReadAsWords(t *testing.T) {
	tests := []struct{ got, want string }{
		{segmentbot.Count(0), "0"},
		{segmentbot.Count(999), "999"},
		{segmentbot.Count(2401), "2,401"},
		{segmentbot.Count(1234567), "1,234,567"},
		{segmentbot.Count(-12034), "-12,034"},
		{segmentbot.Counted(1, "segment"), "1 segment"},
		{segmentbot.Counted(0, "segment"), "0 segments"},
		{segmentbot.Counted(2401, "member"), "2,401 members"},
		{segmentbot.Counted(2, "reply", "replies"), "2 replies"},
		{segmentbot.Counted(1, "reply", "replies"), "1 reply"},
		{segmentbot.Duration(24 * time.Hour), "24 hours"},
		{segmentbot.Duration(time.Hour), "1 hour"},
		{segmentbot.Duration(7 * 24 * time.Hour), "7 days"},
		{segmentbot.Duration(90 * time.Minute), "1 hour 30 minutes"},
		{segmentbot.Duration(45 * time.Second), "45 seconds"},
		{segmentbot.Duration(0), "0 seconds"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
