package store

import (
	"encoding/json"
	"testing"

	"github.com/segmentbot/segmentbot"
)

func TestStagedAttributesAreJSON(t *testing.T) {
	values := []string{"Sales", "", `quote " and \ backslash`, "line\nend\r\ttab", "bell\a and \x1f", "Zürich 東京 😀",
		"bad \xff byte", "\u2028 separators \u2029", "</script>&"}
	for _, v := range values {
		got := stagedAttributes([]segmentbot.Attribute{{Name: "dept", Value: v}, {Name: "a \"b\"", Value: "c"}})
		var m map[string][2]string
		if err := json.Unmarshal([]byte(got.(string)), &m); err != nil {
			t.Fatalf("%q encodes as %s: %v", v, got, err)
		}
		want, _ := json.Marshal([2]string{v, segmentbot.FoldValue(v)})
		var back [2]string
		json.Unmarshal(want, &back) // encoding/json's reading of v (U+FFFD for a bad byte)
		if m["dept"] != back || m[`a "b"`] != [2]string{"c", "c"} {
			t.Errorf("%q round trips as %q, %q", v, m["dept"], m[`a "b"`])
		}
	}
	if got := stagedAttributes(nil); got != nil {
		t.Errorf("no attributes = %v; want nil (NULL)", got)
	}
}

func TestUserSetCountsEachUserOnce(t *testing.T) {
	var s userSet
	for _, c := range []struct {
		id  int64
		new bool
	}{{1, true}, {64, true}, {63, true}, {1, false}, {1000, true}, {64, false}, {63, false}, {1000, false},
		{1 << 40, true}, {1 << 40, false}, {-5, true}, {-5, false}, {maxDenseUser, true}, {maxDenseUser - 1, true}, {maxDenseUser, false}} {
		if got := s.add(c.id); got != c.new {
			t.Errorf("add(%d) = %v; want %v", c.id, got, c.new)
		}
	}
}
