package cards

import "testing"

func TestPlainMarkdown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"It is **out**.", "It is out."},
		{"__bold__ and ~~gone~~ and *soft*", "bold and gone and soft"},
		{"Read [the post](https://example.com/p) now", "Read the post (https://example.com/p) now"},
		{"[https://e.com](https://e.com)", "https://e.com"},
		{"# Launch\n## Details\ntext", "Launch\nDetails\ntext"},
		{"run `make all`", "run make all"},
		{"- one\n- two", "- one\n- two"},
		{"2 * 3 * 4 = 24", "2 * 3 * 4 = 24"},
		{"snake_case_name and file_v2", "snake_case_name and file_v2"},
		{`a \*literal\* star`, "a *literal* star"},
		{`an escaped \[not a link\](x)`, "an escaped [not a link](x)"},
		{`\*\*not bold\*\* and \_\_not either\_\_`, "**not bold** and __not either__"},
		{`1\. R\&D \| \<Ops\> \#1 a\\b`, `1. R&D | <Ops> #1 a\b`},
		{`**bold \* star**`, "bold * star"},
		{"#hashtag stays", "#hashtag stays"},
		{"plain", "plain"},
	} {
		if got := plainMarkdown(tc.in); got != tc.want {
			t.Errorf("plainMarkdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUnescapeMarkdownKeepsTheMarks(t *testing.T) {
	if got, want := UnescapeMarkdown(`\#1 **Monday** \_x\_ a\\b`), `#1 **Monday** _x_ a\b`; got != want {
		t.Errorf("UnescapeMarkdown = %q, want %q", got, want)
	}
}
