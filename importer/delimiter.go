package importer

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// delimiters in the order they win a tie: a semicolon file often has commas
// inside names, a comma file rarely has semicolons.
var delimiters = []byte{'\t', ';', ','}

// sniffLines is how many non-blank lines decide the delimiter.
const sniffLines = 20

// detectDelimiter looks at the first lines of br without consuming them and
// picks the delimiter that splits them most consistently; a file with one
// column gets a comma.
func detectDelimiter(br *bufio.Reader) (byte, error) {
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, err
	}
	lines := sampleLines(head, len(head) == sniffSize)
	best, bestScore := byte(','), 0
	for _, d := range delimiters {
		if score := consistency(lines, d); score > bestScore {
			best, bestScore = d, score
		}
	}
	return best, nil
}

// sampleLines returns up to sniffLines non-blank lines of head, dropping a
// last line that the sniff cut short.
func sampleLines(head []byte, truncated bool) [][]byte {
	if truncated {
		if i := bytes.LastIndexAny(head, "\r\n"); i >= 0 {
			head = head[:i]
		}
	}
	var lines [][]byte
	for len(head) > 0 && len(lines) < sniffLines {
		adv, line, _ := scanLines(head, true)
		head = head[adv:]
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	return lines
}

// consistency scores delimiter d: the number of lines that split into the
// same number of fields as the most common split, zero when d never
// appears outside quotes.
func consistency(lines [][]byte, d byte) int {
	counts := map[int]int{}
	for _, line := range lines {
		if n := countOutsideQuotes(line, d); n > 0 {
			counts[n]++
		}
	}
	best := 0
	for _, c := range counts {
		best = max(best, c)
	}
	return best
}

func countOutsideQuotes(line []byte, d byte) int {
	n, quoted := 0, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == d && !quoted:
			n++
		}
	}
	return n
}
