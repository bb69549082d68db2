package segmentbot_test

import (
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name, in, want, code string
	}{
		{"trimmed, inner spaces folded", "  New   starters ", "New starters", ""},
		{"NFC normalised", "Cafe\u0301", "Café", ""},
		{"required", "   ", "", segmentbot.EINVALID},
		{"NUL", "Sales\x00", "", segmentbot.EINVALID},
		{"line feed", "Sales\nTeam", "", segmentbot.EINVALID},
		{"escape", "Sales\x1b[31m", "", segmentbot.EINVALID},
		{"right-to-left override", "Sales\u202Eexe.txt", "", segmentbot.EINVALID},
		{"left-to-right isolate", "\u2066Sales", "", segmentbot.EINVALID},
		{"zero-width space", "Sa\u200Bles", "", segmentbot.EINVALID},
		{"zero-width joiner", "Sa\u200Dles", "", segmentbot.EINVALID},
		{"byte order mark", "\uFEFFSales", "", segmentbot.EINVALID},
		{"line separator", "Sales\u2028Team", "", segmentbot.EINVALID},
		{"too long", strings.Repeat("a", segmentbot.MaxSegmentName+1), "", segmentbot.EINVALID},
		{"at the cap", strings.Repeat("é", segmentbot.MaxSegmentName), strings.Repeat("é", segmentbot.MaxSegmentName), ""},
		{"a web address", "[Click to verify](https://evil.example/login)", "", segmentbot.EINVALID},
		{"a www address", "see www.evil.example", "", segmentbot.EINVALID},
		{"invalid UTF-8", "Sales\xff", "", segmentbot.EINVALID},
		{"brackets and stars are fine (escaped when shown)", "*Top* [team]", "*Top* [team]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := segmentbot.ValidateName("segment name", tt.in)
			if got != tt.want || segmentbot.ErrorCode(err) != tt.code {
				t.Fatalf("ValidateName(%q) = %q, %v; want %q, code %q", tt.in, got, err, tt.want, tt.code)
			}
			if err != nil && !strings.Contains(segmentbot.ErrorMessage(err), "segment name") {
				t.Fatalf("the reason %q does not name the field", segmentbot.ErrorMessage(err))
			}
		})
	}
}

func TestCleanTextCapsAndKeepsEmpty(t *testing.T) {
	if got, err := segmentbot.CleanText("reply", "", segmentbot.MaxReply); got != "" || err != nil {
		t.Fatalf("empty: %q, %v", got, err)
	}
	if _, err := segmentbot.CleanText("reply", strings.Repeat("x", segmentbot.MaxReply+1), segmentbot.MaxReply); segmentbot.ErrorCode(err) != segmentbot.EINVALID {
		t.Fatalf("a reply of %d characters: %v, want EINVALID", segmentbot.MaxReply+1, err)
	}
	if _, err := segmentbot.CleanText("reply", "Welcome!\x00", segmentbot.MaxReply); segmentbot.ErrorCode(err) != segmentbot.EINVALID {
		t.Fatalf("NUL: %v, want EINVALID", err)
	}
}

func TestCleanLinesKeepsLinesAndIndentation(t *testing.T) {
	got, err := segmentbot.CleanLines("text", "  Cafe\u0301\r\n\n\t- item\n  - sub  ", 0)
	if want := "Café\n\n\t- item\n  - sub"; got != want || err != nil {
		t.Fatalf("CleanLines = %q, %v; want %q", got, err, want)
	}
	for _, in := range []string{"a\u202Eb", "a\u200Bb", "a\rb", "a\x1b[31mb", "a\x00b", "a\u2028b"} {
		if _, err := segmentbot.CleanLines("text", in, 0); segmentbot.ErrorCode(err) != segmentbot.EINVALID || !strings.Contains(segmentbot.ErrorMessage(err), "The text contains") {
			t.Errorf("CleanLines(%q) = %v, want EINVALID naming the text", in, err)
		}
	}
	if _, err := segmentbot.CleanLines("text", "ab\ncd", 4); segmentbot.ErrorCode(err) != segmentbot.EINVALID {
		t.Errorf("5 characters with a cap of 4: %v, want EINVALID", err)
	}
}

func TestValidateBroadcastNameHasTheBroadcastCap(t *testing.T) {
	long := strings.Repeat("n", segmentbot.MaxSegmentName+1)
	if got, err := segmentbot.ValidateBroadcastName("name", long); got != long || err != nil {
		t.Fatalf("a name longer than a segment's: %q, %v", got, err)
	}
	_, err := segmentbot.ValidateBroadcastName("name", strings.Repeat("n", segmentbot.MaxBroadcastName+1))
	if segmentbot.ErrorCode(err) != segmentbot.EINVALID || !strings.Contains(segmentbot.ErrorMessage(err), "at most 200 characters") {
		t.Fatalf("over the cap: %v", err)
	}
	if got, err := segmentbot.ValidateBroadcastName("name", " Cafe\u0301  news "); got != "Café news" || err != nil {
		t.Fatalf("NFC and spaces: %q, %v", got, err)
	}
	for _, in := range []string{"Pay\u202Egnp.exe", "Wee\u200Bkly", "see https://evil.example"} {
		if _, err := segmentbot.ValidateBroadcastName("name", in); segmentbot.ErrorCode(err) != segmentbot.EINVALID {
			t.Errorf("ValidateBroadcastName(%q) = %v, want EINVALID", in, err)
		}
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=SUM(A1)", "'=SUM(A1)"}, {"+1", "'+1"}, {"-2", "'-2"}, {"@x", "'@x"},
		{"|cmd", "'|cmd"}, {"\tx", "'\tx"}, {"\rx", "'\rx"}, {"\n=x", "'\n=x"},
		{" =x", "' =x"}, {"\u00a0=x", "'\u00a0=x"}, {"\u3000=x", "'\u3000=x"},
		{"＝SUM(A1)", "'＝SUM(A1)"}, {"＋1", "'＋1"}, {"－1", "'－1"}, {"＠x", "'＠x"},
		{"", ""}, {"a=b", "a=b"}, {"ann@example.com", "ann@example.com"}, {"Ünal", "Ünal"},
	}
	for _, tt := range tests {
		if got := segmentbot.CSVCell(tt.in); got != tt.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[Click to verify](https://evil.example/login)", `\[Click to verify\](https://evil.example/login)`},
		{"*bold* _it_ `code` ~del~", `\*bold\* \_it\_ \` + "`" + `code\` + "`" + ` \~del\~`},
		{"# Heading", `\# Heading`},
		{"- item", `\- item`},
		{"1. item", `1\. item`},
		{"a - b 1. c", "a - b 1. c"},
		{`back\slash`, `back\\slash`},
		{"<at>x</at>", `\<at\>x\</at\>`},
		{"Plain name", "Plain name"},
	}
	for _, tt := range tests {
		if got := segmentbot.EscapeMarkdown(tt.in); got != tt.want {
			t.Errorf("EscapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContainsNUL(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"name":"Sales\u0000"}`, true},
		{`{"from":{"name":"x\u0000y"}}`, true},
		{"{\"name\":\"raw\x00\"}", true},
		{`{"name":"a\\\u0000"}`, true}, // escaped backslash, then a NUL
		{`{"name":"a\\u0000"}`, false}, // the six characters \u0000
		{`{"name":"u0000"}`, false},
		{`{"name":"Sales"}`, false},
	}
	for _, tt := range tests {
		if got := segmentbot.ContainsNUL([]byte(tt.body)); got != tt.want {
			t.Errorf("ContainsNUL(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}
