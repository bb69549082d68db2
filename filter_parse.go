package segmentbot

import (
	"fmt"
	"strings"
	"unicode"
)

// The chat form of a filter (DESIGN §8), as ParseFilter reads it and
// Words writes it:
//
//	filter    = ["where"] condition {("and" | ", and") condition}
//	condition = name ("is" | "is one of") values   -> in
//	          | name ("is not" | "isn't" | "is not one of") values -> not_in
//	          | name ("exists" | "is not missing")  -> exists
//	          | name ("missing" | "is missing")     -> missing
//	          | "has" name                          -> exists
//	          | "has no" name                       -> missing
//	values    = value {("or" | "," | ", or") value}
//
// Keywords are read without case. A name is one word, or several in
// quotes ("start date"). A value is one or more words up to "or", ",",
// "and" or the end ("New York"); a value holding one of those, starting
// with "not" or "one of", or that is "missing" itself, goes in quotes
// (straight "..." or curly “...”). Quotes open only at the start of a
// word and take no escapes.

// filterKeywords may not be a bare name: they steer the parse.
var filterKeywords = map[string]bool{"where": true, "and": true, "or": true, "is": true, "isn't": true,
	"not": true, "has": true, "no": true, "exists": true, "missing": true}

// filterToken is one word of a chat filter, or a quoted string, or a comma.
type filterToken struct {
	text   string
	quoted bool
}

// is reports whether t is the bare keyword kw (any case).
func (t filterToken) is(kw string) bool { return !t.quoted && strings.EqualFold(t.text, kw) }

// shown is the token as an error message quotes it.
func (t filterToken) shown() string { return fmt.Sprintf("%q", t.text) }

// closingQuote maps each opening quote to its closing one.
var closingQuote = map[rune]rune{'"': '"', '“': '”', '„': '“'}

// tokenizeFilter splits words into tokens: quoted strings, commas and
// words. EINVALID for a quote never closed.
func tokenizeFilter(words string) ([]filterToken, error) {
	var toks []filterToken
	rs := []rune(words)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case isFilterSpace(r):
			i++
		case r == ',':
			toks = append(toks, filterToken{text: ","})
			i++
		case closingQuote[r] != 0:
			end := i + 1
			for end < len(rs) && rs[end] != closingQuote[r] {
				end++
			}
			if end == len(rs) {
				return nil, Errorf(EINVALID, "The quote before %q is never closed; put a %c after the value.", strings.TrimSpace(string(rs[i+1:])), closingQuote[r])
			}
			toks = append(toks, filterToken{text: strings.TrimSpace(string(rs[i+1 : end])), quoted: true})
			i = end + 1
		default:
			end := i
			for end < len(rs) && !isFilterSpace(rs[end]) && rs[end] != ',' {
				end++
			}
			toks = append(toks, filterToken{text: string(rs[i:end])})
			i = end
		}
	}
	return toks, nil
}

func isFilterSpace(r rune) bool { return unicode.IsSpace(r) }

// filterParser reads tokens left to right; prev is the last token read,
// for "After ... I expected ..." messages.
type filterParser struct {
	toks []filterToken
	i    int
	prev *filterToken
}

func (p *filterParser) peek(k int) *filterToken {
	if p.i+k < len(p.toks) {
		return &p.toks[p.i+k]
	}
	return nil
}

func (p *filterParser) next() *filterToken {
	t := p.peek(0)
	if t != nil {
		p.prev = t
		p.i++
	}
	return t
}

// expected is the parse error at the current token: what was wanted
// instead of what came (the next token, or the end).
func (p *filterParser) expected(want string) error {
	got := "the end"
	if t := p.peek(0); t != nil {
		got = t.shown()
	}
	if p.prev == nil {
		return Errorf(EINVALID, "At the start I expected %s, not %s.", want, got)
	}
	return Errorf(EINVALID, "After %s I expected %s, not %s.", p.prev.shown(), want, got)
}

// ParseFilter reads the chat form of a filter ("department is Sales or
// Marketing and country is not US", "region exists", "has no region"),
// with or without a leading "where". EINVALID says what was expected at
// which word, or what the filter breaks (Validate).
func ParseFilter(words string) (*Filter, error) {
	toks, err := tokenizeFilter(words)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	if t := p.peek(0); t != nil && t.is("where") {
		p.next()
	}
	f := &Filter{}
	for {
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		f.All = append(f.All, c)
		if t := p.peek(0); t != nil && t.is(",") && p.peek(1) != nil && p.peek(1).is("and") {
			p.next()
		}
		t := p.peek(0)
		if t == nil {
			if err := f.Validate(); err != nil {
				return nil, err
			}
			return f, nil
		}
		if !t.is("and") {
			return nil, p.expected(`"and" or the end`)
		}
		p.next()
	}
}

// condition reads one condition.
func (p *filterParser) condition() (Condition, error) {
	if t := p.peek(0); t != nil && t.is("has") {
		p.next()
		op := OpExists
		if t := p.peek(0); t != nil && t.is("no") {
			p.next()
			op = OpMissing
		}
		name, err := p.name()
		return Condition{Attribute: name, Op: op}, err
	}
	name, err := p.name()
	if err != nil {
		return Condition{}, err
	}
	c := Condition{Attribute: name}
	t := p.peek(0)
	switch {
	case t != nil && t.is("exists"):
		p.next()
		c.Op = OpExists
		return c, nil
	case t != nil && t.is("missing"):
		p.next()
		c.Op = OpMissing
		return c, nil
	case t != nil && t.is("isn't"):
		p.next()
		c.Op = OpNotIn
	case t != nil && t.is("is"):
		p.next()
		c.Op = OpIn
		if t := p.peek(0); t != nil && t.is("not") {
			p.next()
			c.Op = OpNotIn
		}
	default:
		return c, p.nameFollower()
	}
	if p.lastWord("missing") {
		p.next()
		if c.Op == OpIn {
			c.Op = OpMissing
		} else {
			c.Op = OpExists
		}
		return c, nil
	}
	if t := p.peek(0); t != nil && t.is("one") && p.peek(1) != nil && p.peek(1).is("of") {
		p.next()
		p.next()
	}
	c.Values, err = p.values(name)
	return c, err
}

// nameFollower is the error after a name that no test follows, with a
// hint when the name looks like several words needing quotes.
func (p *filterParser) nameFollower() error {
	err := p.expected(`"is", "is not", "exists" or "missing"`)
	t, after := p.peek(0), p.peek(1)
	if t != nil && !t.quoted && after != nil && (after.is("is") || after.is("isn't") || after.is("exists") || after.is("missing")) {
		return Errorf(EINVALID, "%s A name of several words goes in quotes: \"%s %s\".", ErrorMessage(err), p.prev.text, t.text)
	}
	if t == nil && p.prev != nil && !p.prev.quoted && p.i >= 2 && p.toks[p.i-2].is("and") {
		return Errorf(EINVALID, "%s To allow several values, join them with or: department is Sales or Marketing.", ErrorMessage(err))
	}
	return err
}

// lastWord reports whether the next token is the bare keyword kw and
// ends its condition.
func (p *filterParser) lastWord(kw string) bool {
	t, after := p.peek(0), p.peek(1)
	return t != nil && t.is(kw) && (after == nil || after.is("and") || (after.is(",") && p.peek(2) != nil && p.peek(2).is("and")))
}

// name reads an attribute name: one bare word that is no keyword, or a
// quoted string.
func (p *filterParser) name() (string, error) {
	t := p.peek(0)
	if t == nil || t.text == "," || (!t.quoted && filterKeywords[strings.ToLower(t.text)]) {
		return "", p.expected("an attribute name, such as department")
	}
	if t.quoted && strings.TrimSpace(t.text) == "" {
		return "", p.expected("an attribute name, such as department")
	}
	p.next()
	return AttributeName(t.text), nil
}

// values reads one or more values joined by "or" or commas.
func (p *filterParser) values(name string) ([]string, error) {
	var values []string
	for {
		v, err := p.value(name)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		t := p.peek(0)
		switch {
		case t == nil || t.is("and"):
			return values, nil
		case t.is(",") && p.peek(1) != nil && p.peek(1).is("and"):
			return values, nil
		case t.is(","):
			p.next()
			if t := p.peek(0); t != nil && t.is("or") {
				p.next()
			}
		case t.is("or"):
			p.next()
		default:
			return nil, p.expected(`"or", "and" or the end`)
		}
	}
}

// value reads one value: a quoted string, or bare words up to "or", ",",
// "and" or the end.
func (p *filterParser) value(name string) (string, error) {
	t := p.peek(0)
	if t == nil || t.is(",") || t.is("or") || t.is("and") {
		return "", p.expected("a value")
	}
	if t.quoted {
		if t.text == "" {
			return "", p.expected(fmt.Sprintf("a value (for users without %s, write has no %s)", name, name))
		}
		p.next()
		return t.text, nil
	}
	var words []string
	for t := p.peek(0); t != nil && !t.quoted && !t.is(",") && !t.is("or") && !t.is("and"); t = p.peek(0) {
		words = append(words, p.next().text)
	}
	return strings.Join(words, " "), nil
}
