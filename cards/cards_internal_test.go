package cards

import (
	"reflect"
	"strings"
	"testing"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		s    string
		max  int
		want string
	}{
		{"short stays", "abc", 3, "abc"},
		{"long is cut with an ellipsis", "abcdef", 4, "abc…"},
		{"multi-byte runes are never split", "ääääää", 4, "äää…"},
		{"space before the cut is trimmed", "ab cdef", 4, "ab…"},
		{"emoji", "👍👍👍", 2, "👍…"},
		{"zero", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := truncate(tt.s, tt.max); got != tt.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		s    string
		max  int
		want []string
	}{
		{"short stays whole", "abc", 5, []string{"abc"}},
		{"empty is one empty piece", "", 5, []string{""}},
		{"cut after a line break first", "ab cd\nef gh", 8, []string{"ab cd", "ef gh"}},
		{"then after a space", "ab cd ef", 6, []string{"ab cd", "ef"}},
		{"a word longer than the limit is cut", "abcdefgh", 3, []string{"abc", "def", "gh"}},
		{"runes are never split", "éééé", 3, []string{"ééé", "é"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := split(tt.s, tt.max); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("split(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
			}
		})
	}
	t.Run("no piece exceeds the limit", func(t *testing.T) {
		s := strings.Repeat("ab\ncd efg ", 500)
		for _, p := range split(s, 37) {
			if n := len([]rune(p)); n > 37 {
				t.Fatalf("piece of %d runes", n)
			}
		}
	})
}
