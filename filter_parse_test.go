package segmentbot_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
)

func cond(name, op string, values ...string) segmentbot.Condition {
	return segmentbot.Condition{Attribute: name, Op: op, Values: values}
}

func TestParseFilterReadsTheChatForms(t *testing.T) {
	in, notIn := segmentbot.OpIn, segmentbot.OpNotIn
	tests := []struct {
		words string
		want  []segmentbot.Condition
	}{
		{"department is Sales", []segmentbot.Condition{cond("department", in, "Sales")}},
		{"where department is Sales", []segmentbot.Condition{cond("department", in, "Sales")}},
		{"WHERE Department IS Sales", []segmentbot.Condition{cond("department", in, "Sales")}},
		{"department is Sales or Marketing and country is not US", []segmentbot.Condition{
			cond("department", in, "Sales", "Marketing"), cond("country", notIn, "US")}},
		{"department is Sales or Marketing, and country is not US", []segmentbot.Condition{
			cond("department", in, "Sales", "Marketing"), cond("country", notIn, "US")}},
		{"department is one of Sales, Marketing or HR", []segmentbot.Condition{cond("department", in, "Sales", "Marketing", "HR")}},
		{"department is Sales, Marketing, or HR", []segmentbot.Condition{cond("department", in, "Sales", "Marketing", "HR")}},
		{"country isn't US or UK", []segmentbot.Condition{cond("country", notIn, "US", "UK")}},
		{"country is not one of US, UK", []segmentbot.Condition{cond("country", notIn, "US", "UK")}},
		{"city is New  York", []segmentbot.Condition{cond("city", in, "New York")}},
		{`city is "New York" or “São Paulo”`, []segmentbot.Condition{cond("city", in, "New York", "São Paulo")}},
		{`department is "Research and Development"`, []segmentbot.Condition{cond("department", in, "Research and Development")}},
		{`department is "missing"`, []segmentbot.Condition{cond("department", in, "missing")}},
		{`department is Missing Persons`, []segmentbot.Condition{cond("department", in, "Missing Persons")}},
		{"region exists", []segmentbot.Condition{cond("region", segmentbot.OpExists)}},
		{"region missing", []segmentbot.Condition{cond("region", segmentbot.OpMissing)}},
		{"region is missing", []segmentbot.Condition{cond("region", segmentbot.OpMissing)}},
		{"region is not missing", []segmentbot.Condition{cond("region", segmentbot.OpExists)}},
		{"has no region", []segmentbot.Condition{cond("region", segmentbot.OpMissing)}},
		{"has region and region is EMEA", []segmentbot.Condition{cond("region", segmentbot.OpExists), cond("region", in, "EMEA")}},
		{`"start date" is 2026-01 and has no "Job Title"`, []segmentbot.Condition{
			cond("start date", in, "2026-01"), cond("job title", segmentbot.OpMissing)}},
		{"country is UK and department is Sales and region is missing", []segmentbot.Condition{
			cond("country", in, "UK"), cond("department", in, "Sales"), cond("region", segmentbot.OpMissing)}},
	}
	for _, tt := range tests {
		t.Run(tt.words, func(t *testing.T) {
			f, err := segmentbot.ParseFilter(tt.words)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if !reflect.DeepEqual(f.All, tt.want) {
				t.Fatalf("got %+v\nwant %+v", f.All, tt.want)
			}
		})
	}
}

func TestParseFilterSaysWhatItExpectedAtWhichWord(t *testing.T) {
	tests := []struct{ words, want string }{
		{"department equals Sales", `After "department" I expected "is", "is not", "exists" or "missing", not "equals".`},
		{"", `At the start I expected an attribute name, such as department, not the end.`},
		{"where", `After "where" I expected an attribute name, such as department, not the end.`},
		{"is Sales", `At the start I expected an attribute name, such as department, not "is".`},
		{"department", `After "department" I expected "is", "is not", "exists" or "missing", not the end.`},
		{"department is", `After "is" I expected a value, not the end.`},
		{"department is not", `After "not" I expected a value, not the end.`},
		{"department is Sales or", `After "or" I expected a value, not the end.`},
		{"department is Sales or or HR", `After "or" I expected a value, not "or".`},
		{"department is , Sales", `After "is" I expected a value, not ",".`},
		{"department is Sales and", `After "and" I expected an attribute name, such as department, not the end.`},
		{"department is Sales and and country is US", `After "and" I expected an attribute name, such as department, not "and".`},
		{"department is Sales and Marketing", `After "Marketing" I expected "is", "is not", "exists" or "missing", not the end. To allow several values, join them with or: department is Sales or Marketing.`},
		{"job title is Engineer", `After "job" I expected "is", "is not", "exists" or "missing", not "title". A name of several words goes in quotes: "job title".`},
		{`department is "Sales" Marketing`, `After "Sales" I expected "or", "and" or the end, not "Marketing".`},
		{"region exists in EMEA", `After "exists" I expected "and" or the end, not "in".`},
		{"has", `After "has" I expected an attribute name, such as department, not the end.`},
		{"has no", `After "no" I expected an attribute name, such as department, not the end.`},
		{`department is ""`, `After "is" I expected a value (for users without department, write has no department), not "".`},
		{`"" is Sales`, `At the start I expected an attribute name, such as department, not "".`},
		{`city is "New York`, `The quote before "New York" is never closed; put a " after the value.`},
		{`city is “New York`, `The quote before "New York" is never closed; put a ” after the value.`},
		{strings.Repeat("a exists and ", 20) + "a exists", `The filter has 21 conditions; at most 20 are allowed.`},
		{"a is " + strings.Repeat("v or ", 100) + "v", `Condition 1 of the filter: a in has 101 values; at most 100 are allowed.`},
	}
	for _, tt := range tests {
		t.Run(tt.words, func(t *testing.T) {
			f, err := segmentbot.ParseFilter(tt.words)
			if err == nil {
				t.Fatalf("parsed as %+v", f)
			}
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || err.Error() != tt.want {
				t.Fatalf("got %s %q\nwant %q", segmentbot.ErrorCode(err), err.Error(), tt.want)
			}
		})
	}
}

func TestFilterWordsStateTheFilterAsChatReadsIt(t *testing.T) {
	tests := []struct {
		f    *segmentbot.Filter
		want string
	}{
		{nil, ""},
		{&segmentbot.Filter{All: []segmentbot.Condition{cond("department", segmentbot.OpIn, "Sales", "Marketing"), cond("country", segmentbot.OpNotIn, "US")}},
			"department is Sales or Marketing, and country is not US"},
		{&segmentbot.Filter{All: []segmentbot.Condition{cond("department", segmentbot.OpIn, "Sales", "Marketing", "HR")}},
			"department is Sales, Marketing or HR"},
		{&segmentbot.Filter{All: []segmentbot.Condition{cond("region", segmentbot.OpExists), cond("team", segmentbot.OpMissing)}},
			"region exists, and has no team"},
		{&segmentbot.Filter{All: []segmentbot.Condition{cond("city", segmentbot.OpIn, "New York", "Research and Development", "not here", "missing", "one of us", `say "hi"`)}},
			`city is New York, "Research and Development", "not here", "missing", "one of us" or “say "hi"”`},
		{&segmentbot.Filter{All: []segmentbot.Condition{cond("job title", segmentbot.OpIn, `"quoted"`), cond("and", segmentbot.OpExists)}},
			`"job title" is “"quoted"”, and "and" exists`},
	}
	for _, tt := range tests {
		if got := tt.f.Words(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
		if tt.f == nil {
			continue
		}
		back, err := segmentbot.ParseFilter(tt.want)
		if err != nil || !reflect.DeepEqual(back, tt.f) {
			t.Errorf("%s reads back as %+v, %v", tt.want, back, err)
		}
	}
}

// FuzzParseFilter feeds the chat filter parser arbitrary text: it never
// panics, an error is EINVALID with a message, and a filter it reads is
// stated in words that read back as the same filter.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		"department is Sales or Marketing and country is not US", "region exists", "has no region",
		`city is "New York" or “São Paulo”`, "where x is not one of a, b, or c, and y is missing",
		`"job title" isn't "and"`, "department equals Sales", `a is "`, "a is b,,c", "\x00 is \u202e",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, words string) {
		flt, err := segmentbot.ParseFilter(words)
		if err != nil {
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || err.Error() == "" {
				t.Fatalf("error %v is not EINVALID with a message", err)
			}
			return
		}
		for _, c := range flt.All {
			for _, v := range c.Values {
				if strings.Contains(v, `"`) && strings.Contains(v, "”") {
					return // no quote can hold it: documented
				}
			}
		}
		back, err := segmentbot.ParseFilter(flt.Words())
		if err != nil || !reflect.DeepEqual(back, flt) {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", words, flt, flt.Words(), back, err)
		}
	})
}
