package scheduler

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

var (
	// 2026-12-01 09:00 (also with a T between date and time).
	localDateTime = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[ t](\d{1,2}):(\d{2})$`)
	// today 17:30, tomorrow 9am, tomorrow 9:15 pm
	relativeDay = regexp.MustCompile(`^(today|tomorrow)\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$`)
	// in 3 hours, in 90 minutes, in 2 days, in 1 week
	inDuration = regexp.MustCompile(`^in\s+(\d{1,6})\s*(minutes?|mins?|hours?|hrs?|days?|weeks?)$`)
)

// ParseWhen reads a broadcast time typed in chat. It accepts RFC 3339
// ("2026-12-01T09:00:00+01:00"), a local date and time ("2026-12-01 09:00"),
// "today 17:30", "tomorrow 9:00" or "tomorrow 9am", and "in 3 hours",
// "in 90 minutes", "in 2 days". Local forms are read in loc (UTC when nil),
// so a wall-clock time stays right across a daylight saving change; "in N
// days" keeps the wall-clock time of now. It does not check that the time
// is in the future: the caller decides what a past time means.
//
// Anything else is an EINVALID *segmentbot.Error that shows the accepted
// forms.
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	text := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if text == "" {
		return time.Time{}, whenError(s)
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(text)); err == nil {
		return t, nil
	}
	if m := localDateTime.FindStringSubmatch(text); m != nil {
		return parseLocalDateTime(s, m, loc)
	}
	if m := relativeDay.FindStringSubmatch(text); m != nil {
		return parseRelativeDay(s, m, now, loc)
	}
	if m := inDuration.FindStringSubmatch(text); m != nil {
		return parseInDuration(s, m, now, loc)
	}
	return time.Time{}, whenError(s)
}

func parseLocalDateTime(s string, m []string, loc *time.Location) (time.Time, error) {
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	hour, minute := atoi(m[4]), atoi(m[5])
	if hour > 23 || minute > 59 {
		return time.Time{}, whenError(s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, 0, 0, loc)
	// time.Date normalises 2026-02-30 into March; such a date was a typo.
	if t.Year() != year || int(t.Month()) != month || t.Day() != day {
		return time.Time{}, segmentbot.Errorf(segmentbot.EINVALID, "%q is not a date on the calendar.", strings.TrimSpace(s))
	}
	return t, nil
}

func parseRelativeDay(s string, m []string, now time.Time, loc *time.Location) (time.Time, error) {
	hour, minute := atoi(m[2]), 0
	if m[3] != "" {
		minute = atoi(m[3])
	}
	switch m[4] {
	case "am", "pm":
		if hour < 1 || hour > 12 {
			return time.Time{}, whenError(s)
		}
		hour %= 12
		if m[4] == "pm" {
			hour += 12
		}
	case "":
		if m[3] == "" { // a bare "tomorrow 9" is ambiguous
			return time.Time{}, whenError(s)
		}
	}
	if hour > 23 || minute > 59 {
		return time.Time{}, whenError(s)
	}
	days := 0
	if m[1] == "tomorrow" {
		days = 1
	}
	y, mo, d := now.In(loc).Date()
	return time.Date(y, mo, d+days, hour, minute, 0, 0, loc), nil
}

func parseInDuration(s string, m []string, now time.Time, loc *time.Location) (time.Time, error) {
	n := atoi(m[1])
	if n == 0 {
		return time.Time{}, whenError(s)
	}
	switch unit := m[2]; {
	case strings.HasPrefix(unit, "min"):
		return now.Add(time.Duration(n) * time.Minute), nil
	case strings.HasPrefix(unit, "h"):
		return now.Add(time.Duration(n) * time.Hour), nil
	case strings.HasPrefix(unit, "day"):
		return now.In(loc).AddDate(0, 0, n), nil
	default: // weeks
		return now.In(loc).AddDate(0, 0, 7*n), nil
	}
}

func whenError(s string) error {
	return segmentbot.Errorf(segmentbot.EINVALID,
		"I can't read %q as a time. Try 2026-12-01 09:00, today 17:30, tomorrow 9am, in 3 hours, in 2 days or 2026-12-01T09:00:00Z.",
		strings.TrimSpace(s))
}

// atoi reads digits the regular expressions already checked.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
