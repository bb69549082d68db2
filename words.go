package segmentbot

import (
	"strconv"
	"strings"
	"time"
)

// Count writes n the way every chat message shows numbers, with thousands
// separators: 2401 -> "2,401".
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Counted is n with its noun, singular for one: Counted(1, "segment") is
// "1 segment", Counted(2401, "member") "2,401 members". A noun whose plural
// is not noun+"s" gives it: Counted(2, "reply", "replies").
func Counted(n int64, noun string, plural ...string) string {
	if n != 1 {
		if len(plural) > 0 {
			noun = plural[0]
		} else {
			noun += "s"
		}
	}
	return Count(n) + " " + noun
}

// Duration says d in words, largest units first: "24 hours", "7 days",
// "1 hour 30 minutes", "45 seconds". Whole days are days only from two
// days up, so the lead time reads "24 hours", as people say it.
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return Counted(int64(d/(24*time.Hour)), "day")
	}
	d = d.Round(time.Second)
	var parts []string
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if n := d / u.d; n > 0 {
			parts = append(parts, Counted(int64(n), u.name))
			d -= n * u.d
		}
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, " ")
}
