package importer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

// maxValue bounds the value kept for the report of one row.
const maxValue = 512

// Reader streams the data rows of a CSV file of emails and ids, decoded
// and normalised. It holds a few lines of the file at a time.
type Reader struct {
	records *records
	column  int
	row     int64
	first   *segmentbot.StagedRow // the first record, when it is data
	err     error                 // sticky: io.EOF or a read failure
}

// NewReader sniffs the encoding, the delimiter and the header of the file
// in r. Files that are not CSV, or have several columns none of which is
// headed email or id, fail with EINVALID. An empty or header-only file
// gives a Reader that yields nothing.
func NewReader(r io.Reader) (*Reader, error) {
	text, err := decode(r)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(text, sniffSize)
	delim, err := detectDelimiter(br)
	if err != nil {
		return nil, readError(err)
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	sc.Split(scanLines)
	rd := &Reader{records: newRecords(sc, delim)}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// readHeader reads the first record and decides whether it names the
// columns, and which column holds the users.
func (rd *Reader) readHeader() error {
	fields, raw, malformed, err := rd.records.next()
	switch {
	case errors.Is(err, io.EOF):
		rd.err = io.EOF
		return nil
	case err != nil:
		return readError(err)
	case malformed:
		rd.first = rd.malformed(raw)
		return nil
	}
	fields = trimTrailingEmpty(fields)
	if col, found := headerColumn(fields); found {
		rd.column = col
		return nil
	}
	if len(fields) > 1 {
		return segmentbot.Errorf(segmentbot.EINVALID,
			"the file has %d columns and none is headed email or id", len(fields))
	}
	rd.first = rd.stage(fields)
	return nil
}

// Next returns the next data row, or io.EOF after the last one. Rows with
// malformed quoting come back as invalid rows; the file goes on.
func (rd *Reader) Next() (*segmentbot.StagedRow, error) {
	if rd.first != nil {
		row := rd.first
		rd.first = nil
		return row, nil
	}
	if rd.err != nil {
		return nil, rd.err
	}
	fields, raw, malformed, err := rd.records.next()
	switch {
	case errors.Is(err, io.EOF):
		rd.err = io.EOF
		return nil, io.EOF
	case err != nil:
		rd.err = readError(err)
		return nil, rd.err
	case malformed:
		return rd.malformed(raw), nil
	}
	return rd.stage(fields), nil
}

// malformed numbers a row whose quoting could not be read.
func (rd *Reader) malformed(raw string) *segmentbot.StagedRow {
	rd.row++
	return &segmentbot.StagedRow{
		Row: rd.row, Value: clean(raw), Kind: segmentbot.KindInvalid,
		Note: fmt.Sprintf("malformed quoting on row %d", rd.row),
	}
}

// stage numbers a record and normalises the value of its user column.
func (rd *Reader) stage(fields []string) *segmentbot.StagedRow {
	rd.row++
	row := &segmentbot.StagedRow{Row: rd.row}
	if rd.column >= len(fields) || trim(fields[rd.column]) == "" {
		row.Kind, row.Note = segmentbot.KindInvalid, "no email address or id in this row"
		return row
	}
	row.Value = clean(fields[rd.column])
	row.Norm, row.Kind, row.Note = Normalize(row.Value)
	return row
}

// clean makes a value safe to store and show: trimmed, valid UTF-8 without
// NUL, and short.
func clean(s string) string {
	s = trim(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) > maxValue {
		cut := maxValue
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func trimTrailingEmpty(fields []string) []string {
	for len(fields) > 1 && trim(fields[len(fields)-1]) == "" {
		fields = fields[:len(fields)-1]
	}
	return fields
}

// readError turns a failure of the line scanner into a message for chat.
func readError(err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return segmentbot.Errorf(segmentbot.EINVALID, "not a CSV file: a line is longer than %d KB", maxLine>>10)
	}
	return fmt.Errorf("read file: %w", err)
}
