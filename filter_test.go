package segmentbot_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

func TestFilterValidate(t *testing.T) {
	c := func(attribute, op string, values ...string) segmentbot.Condition {
		return segmentbot.Condition{Attribute: attribute, Op: op, Values: values}
	}
	many := func(n int, v string) []string {
		vs := make([]string, n)
		for i := range vs {
			vs[i] = v
		}
		return vs
	}
	tests := []struct {
		name   string
		filter *segmentbot.Filter
		want   string // "" = valid, else the message
	}{
		{"no filter", nil, ""},
		{"every op", &segmentbot.Filter{All: []segmentbot.Condition{c("department", "in", "Sales", "IT"),
			c("country", "not_in", "US"), c("region", "exists"), c("title", "missing")}}, ""},
		{"ops and names are trimmed, without case", &segmentbot.Filter{All: []segmentbot.Condition{c(" Department ", " IN ", "Sales")}}, ""},
		{"no condition", &segmentbot.Filter{}, "The filter has no condition: give at least one, or no filter."},
		{"too many conditions", &segmentbot.Filter{All: make([]segmentbot.Condition, segmentbot.MaxConditions+1)},
			"The filter has 21 conditions; at most 20 are allowed."},
		{"no name", &segmentbot.Filter{All: []segmentbot.Condition{c(" ", "in", "x")}},
			"Condition 1 of the filter: the attribute name is missing."},
		{"a name too long", &segmentbot.Filter{All: []segmentbot.Condition{c(strings.Repeat("n", 101), "exists")}},
			"Condition 1 of the filter: the attribute name is longer than 100 characters."},
		{"unknown op", &segmentbot.Filter{All: []segmentbot.Condition{c("region", "exists"), c("country", "is", "US")}},
			`Condition 2 of the filter: unknown op "is" for country: use in, not_in, exists or missing.`},
		{"no op", &segmentbot.Filter{All: []segmentbot.Condition{c("country", "", "US")}},
			"Condition 1 of the filter: the op of country is missing: use in, not_in, exists or missing."},
		{"in without values", &segmentbot.Filter{All: []segmentbot.Condition{c("country", "in")}},
			"Condition 1 of the filter: country in needs at least one value."},
		{"not_in without values", &segmentbot.Filter{All: []segmentbot.Condition{c("country", "not_in")}},
			"Condition 1 of the filter: country not_in needs at least one value."},
		{"an empty value", &segmentbot.Filter{All: []segmentbot.Condition{c("country", "in", "US", " ")}},
			"Condition 1 of the filter: country in has an empty value; to ask for users without country, use missing."},
		{"too many values", &segmentbot.Filter{All: []segmentbot.Condition{c("country", "in", many(101, "US")...)}},
			"Condition 1 of the filter: country in has 101 values; at most 100 are allowed."},
		{"a value too long", &segmentbot.Filter{All: []segmentbot.Condition{c("country", "not_in", strings.Repeat("é", 1001))}},
			"Condition 1 of the filter: country not_in has a value longer than 1000 characters."},
		{"exists with values", &segmentbot.Filter{All: []segmentbot.Condition{c("region", "exists", "EMEA")}},
			"Condition 1 of the filter: region exists takes no values."},
		{"missing with values", &segmentbot.Filter{All: []segmentbot.Condition{c("region", "missing", "EMEA")}},
			"Condition 1 of the filter: region missing takes no values."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.filter.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || err.Error() != tt.want {
				t.Fatalf("Validate() = %q (%s), want EINVALID %q", err, segmentbot.ErrorCode(err), tt.want)
			}
		})
	}
}

func TestFilterNormalize(t *testing.T) {
	f := &segmentbot.Filter{All: []segmentbot.Condition{{Attribute: " Job Title ", Op: " Not_In ", Values: []string{" Sales Rep ", "IT"}}}}
	n := f.Normalize()
	got := n.All[0]
	if got.Attribute != "job title" || got.Op != "not_in" || got.Values[0] != "Sales Rep" || got.Values[1] != "IT" {
		t.Fatalf("Normalize() = %+v", got)
	}
	if f.All[0].Attribute != " Job Title " {
		t.Fatalf("Normalize changed its receiver: %+v", f.All[0])
	}
	if (*segmentbot.Filter)(nil).Normalize() != nil {
		t.Fatal("Normalize of nil is not nil")
	}
	if segmentbot.FoldValue(" ÉQUIPE ") != "équipe" {
		t.Fatalf("FoldValue = %q", segmentbot.FoldValue(" ÉQUIPE "))
	}
}

func TestCutAttributeValueKeepsBothCaps(t *testing.T) {
	for _, c := range []struct {
		name, v string
		want    int // runes kept
	}{
		{"short", "Sales", 5},
		{"ASCII over the characters", strings.Repeat("a", 1200), segmentbot.MaxAttributeValue},
		{"CJK over the bytes", strings.Repeat("語", 1000), segmentbot.MaxAttributeBytes / 3},
		{"a cut never splits a character", "a" + strings.Repeat("語", 600), 1 + (segmentbot.MaxAttributeBytes-1)/3},
	} {
		got := segmentbot.CutAttributeValue(c.v)
		if n := utf8.RuneCountInString(got); n != c.want || !utf8.ValidString(got) || !segmentbot.AttributeValueFits(got) {
			t.Errorf("%s: kept %d characters (%d bytes, valid %v), want %d", c.name, n, len(got), utf8.ValidString(got), c.want)
		}
	}
}
