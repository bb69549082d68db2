package importer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
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
	attrs   []attributeColumn // the other columns of a headed file (DESIGN §8)
	row     int64
	ahead   []*segmentbot.StagedRow // rows read while the header was decided
	err     error                   // sticky: io.EOF or a read failure
}

// NewReader sniffs the encoding, the delimiter and the header of the file
// in r. Files that are not CSV, or have several columns none of which is
// headed email or id or holds emails, fail with EINVALID. An empty or
// header-only file gives a Reader that yields nothing.
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
// columns, which column holds the users, and which are attributes. When
// no header names the user column, the first rows decide by content.
func (rd *Reader) readHeader() error {
	fields, raw, malformed, err := rd.records.next()
	switch {
	case errors.Is(err, io.EOF):
		rd.err = io.EOF
		return nil
	case err != nil:
		return readError(err)
	case malformed:
		rd.ahead = append(rd.ahead, rd.malformed(raw))
		return nil
	}
	fields = trimTrailingEmpty(fields)
	headed := isHeader(fields)
	col, named := keyByName(fields)
	switch {
	case len(fields) == 1 && !(headed && named):
		// One column: an unknown first line is data (an external id).
		rd.ahead = append(rd.ahead, rd.stage(fields))
		return nil
	case !headed:
		return rd.keyFromData(slices.Clone(fields))
	case named:
		rd.column = col
		rd.attrs, err = attributeColumns(fields, col)
		return err
	}
	header := slices.Clone(fields)
	sample, bad, err := rd.sample()
	if err != nil {
		return err
	}
	if rd.column, named = keyByContent(sample); !named {
		return errNoKey(header)
	}
	if rd.attrs, err = attributeColumns(header, rd.column); err != nil {
		return err
	}
	rd.stageSample(sample, bad)
	return nil
}

// keyFromData decides the user column of a file without a header whose
// first record, first, has several columns. Its other columns have no
// names, so they are not kept.
func (rd *Reader) keyFromData(first []string) error {
	rest, bad, err := rd.sample()
	if err != nil {
		return err
	}
	sample := append([][]string{first}, rest...)
	col, found := keyByContent(sample)
	if !found {
		return segmentbot.Errorf(segmentbot.EINVALID,
			"the file has %d columns, no header and no column of emails: add a header row with email (or id) at the top of the users' column and send the file again", len(first))
	}
	rd.column = col
	rd.stageSample(sample, bad)
	return nil
}

// sample reads up to sampleRows records ahead, copied. A malformed
// record ends the sample; its first line comes back as bad.
func (rd *Reader) sample() (sample [][]string, bad *string, err error) {
	for len(sample) < sampleRows {
		fields, raw, malformed, err := rd.records.next()
		switch {
		case errors.Is(err, io.EOF):
			return sample, nil, nil
		case err != nil:
			return nil, nil, readError(err)
		case malformed:
			return sample, &raw, nil
		}
		sample = append(sample, slices.Clone(fields))
	}
	return sample, nil, nil
}

// stageSample queues the sampled records, and the malformed one that
// ended the sample, as the first data rows.
func (rd *Reader) stageSample(sample [][]string, bad *string) {
	for _, fields := range sample {
		rd.ahead = append(rd.ahead, rd.stage(fields))
	}
	if bad != nil {
		rd.ahead = append(rd.ahead, rd.malformed(*bad))
	}
}

// Next returns the next data row, or io.EOF after the last one. Rows with
// malformed quoting come back as invalid rows; the file goes on.
func (rd *Reader) Next() (*segmentbot.StagedRow, error) {
	if len(rd.ahead) > 0 {
		row := rd.ahead[0]
		rd.ahead = rd.ahead[1:]
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
	row.Attributes = rd.attributes(fields)
	return row
}

// attributes are the record's non-empty cells of the attribute columns;
// an empty cell leaves the user's attribute as it was.
func (rd *Reader) attributes(fields []string) []segmentbot.Attribute {
	var attrs []segmentbot.Attribute
	for _, c := range rd.attrs {
		if c.index >= len(fields) {
			continue
		}
		if v := clean(fields[c.index]); v != "" {
			if attrs == nil {
				attrs = make([]segmentbot.Attribute, 0, len(rd.attrs))
			}
			attrs = append(attrs, segmentbot.Attribute{Name: c.name, Value: v})
		}
	}
	return attrs
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
