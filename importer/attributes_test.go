package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"

	"github.com/segmentbot/segmentbot"
)

// readAttributes decodes a file and returns its attribute columns and its
// rows as "row norm name=value name=value".
func readAttributes(t *testing.T, file []byte) ([]string, []string) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var rows []string
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return attributeNames(rd), rows
		} else if err != nil {
			t.Fatalf("Next: %v", err)
		}
		line := fmt.Sprintf("%d %s", row.Row, row.Norm)
		if row.Kind == segmentbot.KindInvalid {
			line = fmt.Sprintf("%d !%s", row.Row, row.Note)
		}
		for _, a := range row.Attributes {
			line += " " + a.Name + "=" + a.Value
		}
		rows = append(rows, line)
	}
}

func TestReaderKeepsTheOtherColumnsAsAttributes(t *testing.T) {
	bom := func(s string) []byte { return append([]byte("\xEF\xBB\xBF"), s...) }
	tests := []struct {
		name  string
		file  []byte
		attrs string
		rows  []string
	}{
		{"Email header", []byte("Email,Department,Country\na@example.com,Sales,UK\n"),
			"department country", []string{"1 a@example.com department=Sales country=UK"}},
		{"E-mail header, lower-cased and trimmed names", []byte("Name, E-mail ,  Job TITLE \nAnn,a@example.com,Engineer\n"),
			"name job title", []string{"1 a@example.com name=Ann job title=Engineer"}},
		{"UPN header", []byte("upn;Region\nA@Example.com;EMEA\n"),
			"region", []string{"1 a@example.com region=EMEA"}},
		{"user id header", []byte("Region\tUser ID\nEMEA\t100012345678\n"),
			"region", []string{"1 100012345678 region=EMEA"}},
		{"employee id header keeps external ids", []byte("Employee ID,Team\nE-1001,Blue\n"),
			"team", []string{"1 E-1001 team=Blue"}},
		{"BOM before the header", bom("EMAIL,Office\na@example.com,Oslo\n"),
			"office", []string{"1 a@example.com office=Oslo"}},
		{"UTF-16 with BOM", mustEncode(t, "email,city\r\na@example.com,Zürich\r\n"),
			"city", []string{"1 a@example.com city=Zürich"}},
		{"quoted header and cells", []byte("\"Email\",\"Cost Centre\"\n\"a@example.com\",\"100, North\"\n"),
			"cost centre", []string{"1 a@example.com cost centre=100, North"}},
		{"values are trimmed", []byte("email,dept\na@example.com,   Sales  \n"),
			"dept", []string{"1 a@example.com dept=Sales"}},
		{"an empty cell is left out", []byte("email,dept,country\na@example.com,,UK\nb@example.com,Sales,\nc@example.com,,\n"),
			"dept country", []string{"1 a@example.com country=UK", "2 b@example.com dept=Sales", "3 c@example.com"}},
		{"a short row has the cells it has", []byte("email,dept,country\na@example.com,Sales\n"),
			"dept country", []string{"1 a@example.com dept=Sales"}},
		{"an unnamed column is not kept", []byte("email,,dept\na@example.com,x,Sales\n"),
			"dept", []string{"1 a@example.com dept=Sales"}},
		{"a name given twice keeps its first column", []byte("email,Dept,dept\na@example.com,Sales,Ops\n"),
			"dept", []string{"1 a@example.com dept=Sales"}},
		{"duplicate rows each carry their cells", []byte("email,dept\na@example.com,Sales\na@example.com,Ops\n"),
			"dept", []string{"1 a@example.com dept=Sales", "2 a@example.com dept=Ops"}},
		{"an invalid key keeps its row", []byte("email,dept\nnot an@address,Sales\n"),
			"dept", []string{"1 !space in address dept=Sales"}},
		{"one column has no attributes", []byte("email\na@example.com\n"), "", []string{"1 a@example.com"}},
		{"the email column is found by content when no header names it", []byte("Person,Address,Dept\nAnn,a@example.com,Sales\nBob,b@example.com,\n"),
			"person dept", []string{"1 a@example.com person=Ann dept=Sales", "2 b@example.com person=Bob"}},
		{"content: most emails win, a few typos do not matter", []byte("who,contact,dept\nAnn,a@example.com,Sales\nBob,bob@,Ops\nCy,c@example.com,Ops\n"),
			"who dept", []string{"1 a@example.com who=Ann dept=Sales", "2 !no domain who=Bob dept=Ops", "3 c@example.com who=Cy dept=Ops"}},
		{"content: past the sample, rows go on", []byte("who,contact\n" + strings.Repeat("Ann,a@example.com\n", sampleRows+2)),
			"who", repeatRows(1, sampleRows+2, "a@example.com who=Ann")},
		{"no header: the email column is found, other columns have no names", []byte("Ann,a@example.com,Sales\nBob,b@example.com,Ops\n"),
			"", []string{"1 a@example.com", "2 b@example.com"}},
		{"no header: AAD object ids are found by content", []byte("Ann,6a3c1e52-9f0b-4c4b-8e5d-2b1f0c9d7a11\n"),
			"", []string{"1 6a3c1e52-9f0b-4c4b-8e5d-2b1f0c9d7a11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs, rows := readAttributes(t, tt.file)
			if got := strings.Join(attrs, " "); got != tt.attrs {
				t.Errorf("attributes = %q; want %q", got, tt.attrs)
			}
			if got, want := strings.Join(rows, "|"), strings.Join(tt.rows, "|"); got != want {
				t.Errorf("rows =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestReaderSampleEndsAtAMalformedRow(t *testing.T) {
	attrs, rows := readAttributes(t, []byte("who,contact\nAnn,a@example.com\nBob,\"b@example.com\"x\nCy,c@example.com\n"))
	want := []string{"1 a@example.com who=Ann", "2 !malformed quoting on row 2", "3 c@example.com who=Cy"}
	if strings.Join(attrs, " ") != "who" || strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("attributes %q, rows =\n%s\nwant\n%s", attrs, strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

func repeatRows(from, to int, rest string) []string {
	var rows []string
	for i := from; i <= to; i++ {
		rows = append(rows, fmt.Sprintf("%d %s", i, rest))
	}
	return rows
}

func mustEncode(t *testing.T, s string) []byte {
	t.Helper()
	return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), s)
}

// attributeNames lists the names of the columns rd stores as attributes,
// in file order.
func attributeNames(rd *Reader) []string {
	names := make([]string, len(rd.attrs))
	for i, c := range rd.attrs {
		names[i] = c.name
	}
	return names
}
