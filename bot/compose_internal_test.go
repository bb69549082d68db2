package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
)

func TestParseCompose(t *testing.T) {
	good := []struct {
		name, text                  string
		segment, when, as           string
		title, body, image, buttons string
	}{
		{name: "segment and text", text: "broadcast Sales\nHello all",
			segment: "Sales", body: "Hello all"},
		{name: "a time and a name", text: "broadcast Sales at tomorrow 9:00 as Weekly news\nHello",
			segment: "Sales", when: "tomorrow 9:00", as: "Weekly news", body: "Hello"},
		{name: "a name without a time, even one holding at", text: "broadcast Sales as Party at the office\nHi",
			segment: "Sales", as: "Party at the office", body: "Hi"},
		{name: "a quoted segment name", text: "broadcast \"New starters\" at in 2 hours\nHi",
			segment: "New starters", when: "in 2 hours", body: "Hi"},
		{name: "the title names the broadcast", text: "broadcast Sales\n# Launch day\nIt is **out**.",
			segment: "Sales", as: "Launch day", title: "Launch day", body: "It is **out**."},
		{name: "paragraphs keep their blank line", text: "broadcast Sales\nFirst.\n\nSecond.",
			segment: "Sales", body: "First.\n\nSecond."},
		{name: "image and buttons anywhere", text: "broadcast Sales\nimage: https://example.com/a.png\nRead on.\nbutton: Post | https://example.com/post\nButton: Site https://example.com",
			segment: "Sales", body: "Read on.", image: "https://example.com/a.png", buttons: "Post=https://example.com/post Site=https://example.com"},
		{name: "a hash later in the text is text", text: "broadcast Sales\nHello\n# not a title",
			segment: "Sales", body: "Hello\n# not a title"},
		{name: "name, title and text NFC-normalised", text: "broadcast Sales as Cafe\u0301 news\n# Cafe\u0301\nCafe\u0301 at 9",
			segment: "Sales", as: "Café news", title: "Café", body: "Café at 9"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			cmd, ok := parseCommand(tt.text)
			if !ok || cmd.verb != "broadcast" {
				t.Fatalf("not a broadcast command: %+v", cmd)
			}
			c, err := parseCompose(cmd.arg, messageLines(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			var buttons []string
			for _, b := range c.message.Buttons {
				buttons = append(buttons, b.Title+"="+b.URL)
			}
			got := []string{c.segment, c.when, c.name, c.message.Title, c.message.Text, c.message.ImageURL, strings.Join(buttons, " ")}
			want := []string{tt.segment, tt.when, tt.as, tt.title, tt.body, tt.image, tt.buttons}
			for i, field := range []string{"segment", "when", "name", "title", "text", "image", "buttons"} {
				if got[i] != want[i] {
					t.Errorf("%s = %q, want %q", field, got[i], want[i])
				}
			}
		})
	}

	bad := []struct{ name, text, says string }{
		{"no segment", "broadcast", "Name the segment"},
		{"no message", "broadcast Sales", "Put the message under the first line"},
		{"only blank lines", "broadcast Sales\n\n  \n", "Put the message under the first line"},
		{"at without a time", "broadcast Sales at\nHi", "Say when after at"},
		{"an http image", "broadcast Sales\nHi\nimage: http://example.com/a.png", "The image URL must be an https:// link"},
		{"an image with no link", "broadcast Sales\nHi\nimage:", "Put the picture's https:// link after image:"},
		{"two images", "broadcast Sales\nHi\nimage: https://a.example/1.png\nimage: https://a.example/2.png", "one image"},
		{"a button without a link", "broadcast Sales\nHi\nbutton: Read", "Write a button as button: _title_ | https://link"},
		{"a button to a javascript link", "broadcast Sales\nHi\nbutton: Click | javascript:alert(1)", "The link of button Click must be an https:// link"},
		{"too many buttons", "broadcast Sales\nHi" + strings.Repeat("\nbutton: B | https://example.com", 6), "at most 5"},
		{"text over the cap", "broadcast Sales\n" + strings.Repeat("x", segmentbot.MaxBroadcastText+1), "keep it to 10000"},
		{"a name over the cap", "broadcast Sales as " + strings.Repeat("n", 201) + "\nHi", "at most 200 characters"},
		{"a bidi override in the name", "broadcast Sales as Pay\u202Egnp.exe\nHi", "The name contains an invisible or control character (U+202E)"},
		{"a web address in the name", "broadcast Sales as www.evil.example\nHi", "The name can't contain a web address"},
		{"a zero-width space in the title", "broadcast Sales\n# Lau\u200Bnch\nHi", "The title contains an invisible or control character (U+200B)"},
		{"an escape in the text", "broadcast Sales\nHi\x1b[31m there", "The text contains an invisible or control character (U+001B)"},
		{"a bidi override in a button title", "broadcast Sales\nHi\nbutton: Re\u202Ead | https://example.com", "The title of button 1 contains"},
	}
	for _, tt := range bad {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			cmd, _ := parseCommand(tt.text)
			_, err := parseCompose(cmd.arg, messageLines(tt.text))
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if msg := segmentbot.ErrorMessage(err); !strings.Contains(msg, tt.says) {
				t.Errorf("message %q does not say %q", msg, tt.says)
			}
		})
	}
}

func TestParseComposeReadsTheFilterAfterWhere(t *testing.T) {
	good := []struct {
		name, text        string
		segment, when, as string
		filter            string // in words; "" = none
	}{
		{name: "a filter", text: "broadcast News where department is Sales\nHi",
			segment: "News", filter: "department is Sales"},
		{name: "a filter, a time and a name", text: "broadcast News where department is Sales or HR and country is not US at tomorrow 9:00 as Weekly\nHi",
			segment: "News", when: "tomorrow 9:00", as: "Weekly", filter: "department is Sales or HR, and country is not US"},
		{name: "a quoted value holding at", text: "broadcast News where office is \"Out at sea\" as Ahoy\nHi",
			segment: "News", as: "Ahoy", filter: "office is Out at sea"},
		{name: "a where in the name is the name's", text: "broadcast News as Where we stand\nHi",
			segment: "News", as: "Where we stand"},
		{name: "a quoted segment", text: "broadcast \"UK news\" WHERE has no region\nHi",
			segment: "UK news", filter: "has no region"},
		{name: "letters longer in lower case before where", text: "broadcast İİİ where city is İzmir AT in 2 hours\nHi",
			segment: "İİİ", when: "in 2 hours", filter: "city is İzmir"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			cmd, _ := parseCommand(tt.text)
			c, err := parseCompose(cmd.arg, messageLines(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if c.segment != tt.segment || c.when != tt.when || c.name != tt.as || c.filter.Words() != tt.filter {
				t.Fatalf("got segment %q, when %q, name %q, filter %q", c.segment, c.when, c.name, c.filter.Words())
			}
		})
	}
	bad := []struct{ name, text, says string }{
		{"where without a filter", "broadcast News where\nHi", `After "where" I expected an attribute name, such as department, not the end.`},
		{"where followed by at", "broadcast News where at 9:00\nHi", `After "where" I expected an attribute name, such as department, not the end.`},
		{"a wrong word", "broadcast News where department equals Sales\nHi", `After "department" I expected "is", "is not", "exists" or "missing", not "equals".`},
	}
	for _, tt := range bad {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			cmd, _ := parseCommand(tt.text)
			_, err := parseCompose(cmd.arg, messageLines(tt.text))
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || !strings.HasPrefix(segmentbot.ErrorMessage(err), tt.says+"\nWrite the filter as where") {
				t.Fatalf("err = %v, want EINVALID starting %q and the usage", err, tt.says)
			}
		})
	}
}

func TestTookSaysUnderASecondRatherThanZero(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "under a second"},
		{300 * time.Millisecond, "under a second"},
		{800 * time.Millisecond, "1 second"},
		{11 * time.Second, "11 seconds"},
		{65*time.Minute + 20*time.Second, "1 hour 5 minutes"},
	} {
		if got := took(c.d); got != c.want {
			t.Errorf("took(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
