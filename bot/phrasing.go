package bot

import (
	"sort"
	"strings"
)

// fillers are the words an opt-out may carry besides its keyword: "please
// unsubscribe me", "stop all", "opt me out", "stop sending me messages".
// Text with any other word ("how do I stop the printer") is no opt-out,
// unless the words after the keyword name a segment. Segment-like words
// ("news") are left out on purpose: "unsubscribe news" names a segment.
var fillers = wordSet(`please pls plz kindly hi hey hello
	i im id ill ive me my myself you we us it this these them the
	want wanna would like to just now right away asap at once immediately
	completely entirely forever permanently
	all everything every of from
	thanks thank thx ok okay yes
	can could will
	sending send messages message emails notifications subscriptions lists list segments bot`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// word is one typed word and its folded form (see normalize).
type word struct{ raw, norm string }

func splitWords(raw string) []word {
	var ws []word
	for _, f := range strings.Fields(raw) {
		if n := normalize(f); n != "" {
			ws = append(ws, word{f, n})
		}
	}
	return ws
}

// keywordList is the opt-out keywords as word lists, longest first, so
// "opt out" is tried before a keyword "opt" would be.
func keywordList(keywords map[string]bool) [][]string {
	var list [][]string
	for k := range keywords {
		list = append(list, strings.Fields(k))
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return strings.Join(list[i], " ") < strings.Join(list[j], " ")
	})
	return list
}

// optOutRequest reads typed text as an opt-out request: filler words,
// then a keyword (filler words may sit between its words: "opt me out"),
// then the rest. ok is false when no keyword comes first. rest holds
// the words after the keyword.
func optOutRequest(keywords [][]string, raw string) (rest []word, ok bool) {
	ws := splitWords(raw)
	start := 0
	for start < len(ws) && fillers[ws[start].norm] && !startsKeyword(keywords, ws[start].norm) {
		start++
	}
	for _, kw := range keywords {
		i, matched := start, 0
		for i < len(ws) && matched < len(kw) {
			switch {
			case ws[i].norm == kw[matched]:
				matched++
			case matched > 0 && fillers[ws[i].norm]:
			default:
				i = len(ws) // no match
				continue
			}
			i++
		}
		if matched == len(kw) {
			return ws[i:], true
		}
	}
	return nil, false
}

func startsKeyword(keywords [][]string, w string) bool {
	for _, kw := range keywords {
		if kw[0] == w {
			return true
		}
	}
	return false
}

// onlyFillers reports whether every word is a filler word.
func onlyFillers(ws []word) bool {
	for _, w := range ws {
		if !fillers[w.norm] {
			return false
		}
	}
	return true
}

// segmentNames are the segment names rest may give, longest first: all
// of it, then without each leading filler word ("me from Wellbeing" ->
// "from Wellbeing" -> "Wellbeing").
func segmentNames(rest []word) []string {
	var names []string
	for i := range rest {
		raws := make([]string, 0, len(rest)-i)
		for _, w := range rest[i:] {
			raws = append(raws, w.raw)
		}
		names = append(names, cleanName(strings.Join(raws, " ")))
		if !fillers[rest[i].norm] {
			break
		}
	}
	return names
}
