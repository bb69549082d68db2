package segmentbot

import "strings"

// Words states f in the chat form ParseFilter reads, for previews:
// "department is Sales or Marketing, and country is not US". Nil or
// empty: "".
func (f *Filter) Words() string {
	if f == nil {
		return ""
	}
	parts := make([]string, 0, len(f.All))
	for _, c := range f.All {
		parts = append(parts, c.Words())
	}
	return strings.Join(parts, ", and ")
}

// Words states one condition: "department is Sales or Marketing",
// "country is not US", "region exists", "has no region".
func (c Condition) Words() string {
	name := quoteName(c.Attribute)
	switch c.Op {
	case OpExists:
		return name + " exists"
	case OpMissing:
		return "has no " + name
	case OpIn:
		return name + " is " + valueList(c.Values)
	case OpNotIn:
		return name + " is not " + valueList(c.Values)
	}
	return name + " " + c.Op + " " + valueList(c.Values)
}

// valueList joins values: "A", "A or B", "A, B or C".
func valueList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = quoteValue(v)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// quoteName quotes a name ParseFilter would not read bare.
func quoteName(name string) string {
	toks, err := tokenizeFilter(name)
	if err != nil || len(toks) != 1 || toks[0].quoted || toks[0].text != name || filterKeywords[strings.ToLower(name)] {
		return quote(name)
	}
	return name
}

// quoteValue quotes a value ParseFilter would not read back bare.
func quoteValue(v string) string {
	toks, err := tokenizeFilter(v)
	if err != nil || len(toks) == 0 {
		return quote(v)
	}
	words := make([]string, len(toks))
	for i, t := range toks {
		if t.quoted || t.is(",") || t.is("or") || t.is("and") {
			return quote(v)
		}
		words[i] = t.text
	}
	first := toks[0]
	if strings.Join(words, " ") != v || first.is("not") || (len(toks) == 1 && first.is("missing")) ||
		(first.is("one") && len(toks) > 1 && toks[1].is("of")) {
		return quote(v)
	}
	return v
}

// quote puts s in straight quotes, or curly ones when it holds a straight
// quote.
func quote(s string) string {
	if strings.ContainsRune(s, '"') {
		return "“" + s + "”"
	}
	return `"` + s + `"`
}
