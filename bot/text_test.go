package bot

import "testing"

func TestNormalizeFoldsCasePunctuationAndSpace(t *testing.T) {
	tests := map[string]string{
		"UNSUBSCRIBE":          "unsubscribe",
		" stop! ":              "stop",
		"opt-out":              "optout",
		"Opt   Out.":           "opt out",
		"how do I stop?":       "how do i stop",
		"  ":                   "",
		"Désinscrire\u00a0moi": "désinscrire moi",
	}
	for in, want := range tests {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseCommandFindsTheLongestVerbAndTheBody(t *testing.T) {
	tests := []struct {
		in, verb, arg string
		body          int
	}{
		{"create segment  New starters", "create segment", "New starters", 0},
		{"SEGMENTS", "segments", "", 0},
		{"my segments", "my segments", "", 0},
		{"add to Sales\r\na@x.com\n\n b@y.com ", "add to", "Sales", 2},
		{"rename segment A to B", "rename segment", "A to B", 0},
		{"segmentation", "", "", 0},
	}
	for _, tt := range tests {
		c, ok := parseCommand(tt.in)
		if tt.verb == "" {
			if ok {
				t.Errorf("%q: want no command, got %+v", tt.in, c)
			}
			continue
		}
		if !ok || c.verb != tt.verb || c.arg != tt.arg || len(c.body) != tt.body {
			t.Errorf("%q: got %+v ok=%v", tt.in, c, ok)
		}
	}
}

func TestCleanNameDropsQuotesAndExtraSpace(t *testing.T) {
	for in, want := range map[string]string{`"New  starters"`: "New starters", "'Sales'": "Sales", "“HR”": "HR", ` Ops `: "Ops", `"`: `"`} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
