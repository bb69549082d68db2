package importer

import (
	"bufio"
	"io"
	"strings"
)

// maxQuotedLines bounds a quoted field that runs over line ends: a quote
// left open would otherwise swallow the rest of the file, so after this
// many lines the record counts as malformed and the lines are read again.
const maxQuotedLines = 8

// records splits decoded text into records of fields. Quoted fields may
// hold delimiters, doubled quotes and line ends; a bare quote inside an
// unquoted field is kept as written.
type records struct {
	lines   *bufio.Scanner
	delim   byte
	pending []string // lines to parse again after a malformed record
	fields  []string
	text    []string // the physical lines of the current record
	quoted  strings.Builder
}

func newRecords(lines *bufio.Scanner, delim byte) *records {
	return &records{lines: lines, delim: delim}
}

// line returns the next physical line, pending ones first.
func (rs *records) line() (string, bool, error) {
	if n := len(rs.pending); n > 0 {
		l := rs.pending[0]
		rs.pending = rs.pending[1:]
		return l, true, nil
	}
	if rs.lines.Scan() {
		return string(rs.lines.Bytes()), true, nil
	}
	return "", false, rs.lines.Err()
}

// next returns the fields of the next record that is not blank, or io.EOF.
// The slice is reused by the following call. A malformed record comes back
// with malformed set and its first line in raw; the lines after it are
// parsed again.
func (rs *records) next() (fields []string, raw string, malformed bool, err error) {
	for {
		first, more, err := rs.line()
		if err != nil {
			return nil, "", false, err
		} else if !more {
			return nil, "", false, io.EOF
		}
		fields, ok, err := rs.parse(first)
		if err != nil {
			return nil, "", false, err
		}
		if !ok {
			rs.pending = append(append([]string(nil), rs.text[1:]...), rs.pending...)
			return nil, first, true, nil
		}
		if !blank(fields) {
			return fields, first, false, nil
		}
	}
}

// parse splits the record starting at line, reading more lines while a
// quoted field is open.
func (rs *records) parse(line string) ([]string, bool, error) {
	rs.fields = rs.fields[:0]
	rs.text = append(rs.text[:0], line)
	i := 0
	for {
		i = skipSpace(line, i, rs.delim)
		if i < len(line) && line[i] == '"' {
			var ok bool
			var err error
			line, i, ok, err = rs.quotedField(line, i+1)
			if err != nil || !ok {
				return nil, false, err
			}
			i = skipSpace(line, i, rs.delim)
			if i < len(line) && line[i] != rs.delim {
				return nil, false, nil // text after the closing quote
			}
		} else {
			end := strings.IndexByte(line[i:], rs.delim)
			if end < 0 {
				end = len(line) - i
			}
			rs.fields = append(rs.fields, line[i:i+end])
			i += end
		}
		if i >= len(line) {
			return rs.fields, true, nil
		}
		i++ // the delimiter
	}
}

// quotedField reads a quoted field whose text starts at line[i] and returns
// the line and position after its closing quote.
func (rs *records) quotedField(line string, i int) (string, int, bool, error) {
	rs.quoted.Reset()
	for {
		j := strings.IndexByte(line[i:], '"')
		if j < 0 {
			rs.quoted.WriteString(line[i:])
			rs.quoted.WriteByte('\n')
			if len(rs.text) >= maxQuotedLines {
				return "", 0, false, nil
			}
			next, more, err := rs.line()
			if err != nil || !more {
				return "", 0, false, err
			}
			rs.text = append(rs.text, next)
			line, i = next, 0
			continue
		}
		rs.quoted.WriteString(line[i : i+j])
		i += j + 1
		if i < len(line) && line[i] == '"' {
			rs.quoted.WriteByte('"')
			i++
			continue
		}
		rs.fields = append(rs.fields, rs.quoted.String())
		return line, i, true, nil
	}
}

// skipSpace skips blanks before a field or after a closing quote; a tab
// is a blank only when it is not the delimiter.
func skipSpace(line string, i int, delim byte) int {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' && delim != '\t') {
		i++
	}
	return i
}

func blank(fields []string) bool {
	for _, f := range fields {
		if trim(f) != "" {
			return false
		}
	}
	return true
}
