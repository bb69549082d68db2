package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/segmentbot/segmentbot"
)

// readAll decodes a whole file and returns its rows as "row norm" for valid
// rows and "row !note" for invalid ones.
func readAll(t testing.TB, file []byte) ([]string, error) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(file))
	if err != nil {
		return nil, err
	}
	var rows []string
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		} else if err != nil {
			return rows, err
		}
		if row.Kind == segmentbot.KindInvalid {
			rows = append(rows, fmt.Sprintf("%d !%s", row.Row, row.Note))
		} else {
			rows = append(rows, fmt.Sprintf("%d %s", row.Row, row.Norm))
		}
	}
}

func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func TestReaderEncodings(t *testing.T) {
	const text = "email\r\nJörg@Example.com\r\nzoë@example.com\r\n"
	want := []string{"1 jörg@example.com", "2 zoë@example.com"}
	tests := []struct {
		name string
		file []byte
	}{
		{"UTF-8 without BOM", []byte(text)},
		{"UTF-8 with BOM", encode(t, unicode.UTF8BOM, text)},
		{"UTF-16 LE with BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), text)},
		{"UTF-16 BE with BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), text)},
		{"Windows-1252", encode(t, charmap.Windows1252, text)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAll(t, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(rows, "|"), strings.Join(want, "|"); got != want {
				t.Errorf("rows = %s; want %s", got, want)
			}
		})
	}
	t.Run("Windows-1252 is detected past a long UTF-8-looking start", func(t *testing.T) {
		file := append([]byte(strings.Repeat("a@example.com\n", 1000)), encode(t, charmap.Windows1252, "zoë@example.com\n")...)
		rows, err := readAll(t, file)
		if err != nil {
			t.Fatal(err)
		}
		if got := rows[len(rows)-1]; got != "1001 zoë@example.com" {
			t.Errorf("last row = %s", got)
		}
	})
}

func TestReaderRejectsFilesThatAreNotCSV(t *testing.T) {
	tests := []struct {
		name, file, message string
	}{
		{"Excel workbook", "PK\x03\x04\x14\x00\x06\x00rest", "not a CSV file: this looks like an Excel file; save it as CSV"},
		{"old Excel workbook", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1....", "not a CSV file: this looks like an Excel file; save it as CSV"},
		{"PDF", "%PDF-1.7\n...", "not a CSV file: this looks like a PDF file; export the list as CSV"},
		{"PNG", "\x89PNG\r\n\x1a\n....", "not a CSV file: this looks like an image (PNG); send the list as a CSV file"},
		{"GIF", "GIF89a....", "not a CSV file: this looks like an image (GIF); send the list as a CSV file"},
		{"JPEG", "\xFF\xD8\xFF\xE0....", "not a CSV file: this looks like an image (JPEG); send the list as a CSV file"},
		{"NUL bytes", "a@example.com\n\x00\x01\x02", "not a CSV file: it contains binary data"},
		{"several columns without a header or emails", "John,100012345678\nAnn,100012345679\n",
			"the file has 2 columns, no header and no column of emails: add a header row with email (or id) at the top of the users' column and send the file again"},
		{"several columns headed otherwise, the columns named", "Name;Phone; City \nJohn;123;Oslo\n",
			"no column holds emails or ids: the columns are “Name”, “Phone”, “City”. Put email (or id) at the top of the users' column and send the file again"},
		{"a header without names", "name,,city\nJohn,x,y\n",
			"no column holds emails or ids: the columns are “name”, (no name), “city”. Put email (or id) at the top of the users' column and send the file again"},
		{"a header too long for an attribute name", "email,dept," + strings.Repeat("x", 101) + "\n",
			"the header of column 3 is longer than 100 characters; an attribute's name must be shorter"},
		{"too many attribute columns", "email" + columns(60) + "\n",
			"the file has 60 columns besides the emails or ids; I keep at most 50 as attributes"},
		{"a line too long", strings.Repeat("a", maxLine+10), "not a CSV file: a line is longer than 1024 KB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, []byte(tt.file))
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || segmentbot.ErrorMessage(err) != tt.message {
				t.Errorf("err = %v; want EINVALID %q", err, tt.message)
			}
		})
	}
}

func TestReaderLayouts(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"one column without header", "a@example.com\nb@example.com\n", []string{"1 a@example.com", "2 b@example.com"}},
		{"one column with header", "Email\na@example.com\n", []string{"1 a@example.com"}},
		{"header names ignore case, spaces and underscores", "E-Mail Address\na@example.com\n", []string{"1 a@example.com"}},
		{"user principal name header", "user_principal_name\na@example.com\n", []string{"1 a@example.com"}},
		{"aad object id header", "AAD Object ID\n6a3c1e52-9f0b-4c4b-8e5d-2b1f0c9d7a11\n", []string{"1 6a3c1e52-9f0b-4c4b-8e5d-2b1f0c9d7a11"}},
		{"header-only file", "email\n", nil},
		{"empty file", "", nil},
		{"only blank lines", "\n\r\n  \n", nil},
		{"an unknown one-column first line is data: an external id", "Users\na@example.com\n", []string{"1 Users", "2 a@example.com"}},
		{"comma columns pick the email column", "name,email,team\nJohn,john@example.com,Sales\n", []string{"1 john@example.com"}},
		{"semicolon columns", "Name;Mail\nDoe, John;john@example.com\n", []string{"1 john@example.com"}},
		{"tab columns", "name\tid\nJohn\t100012345678\n", []string{"1 100012345678"}},
		{"email column wins over id", "id,email\n7,a@example.com\n", []string{"1 a@example.com"}},
		{"trailing delimiters are one column", "a@example.com,\nb@example.com,\n", []string{"1 a@example.com", "2 b@example.com"}},
		{"row without the column", "name,email\nJohn\n", []string{"1 !no email address or id in this row"}},
		{"CR line ends", "a@example.com\rb@example.com\r", []string{"1 a@example.com", "2 b@example.com"}},
		{"CRLF line ends", "email\r\na@example.com\r\nb@example.com", []string{"1 a@example.com", "2 b@example.com"}},
		{"mixed line ends", "a@example.com\r\nb@example.com\nc@example.com\r", []string{"1 a@example.com", "2 b@example.com", "3 c@example.com"}},
		{"blank lines are skipped and not counted", "a@example.com\n\n,\n\r\nb@example.com\n", []string{"1 a@example.com", "2 b@example.com"}},
		{"quoted fields", "\"name\",\"email\"\n\"Doe, John\",\"John@Example.com\"\n", []string{"1 john@example.com"}},
		{"doubled quotes in a quoted field", "name,email\n\"John \"\"JD\"\" Doe\",jd@example.com\n", []string{"1 jd@example.com"}},
		{"line ends inside quotes", "name,email\n\"Doe\nJohn\",jd@example.com\nAnn,ann@example.com\n", []string{"1 jd@example.com", "2 ann@example.com"}},
		{"bare quote in an unquoted field is kept", "name,email\nJohn \"JD\" Doe,jd@example.com\n", []string{"1 jd@example.com"}},
		{"text after a closing quote fails one row", "email\n\"a@example.com\"x\nb@example.com\n", []string{"1 !malformed quoting on row 1", "2 b@example.com"}},
		{"unclosed quote at the end fails one row", "a@example.com\n\"b@example.com\n", []string{"1 a@example.com", "2 !malformed quoting on row 2"}},
		{"unclosed quote fails one row, not the rest", "\"a@example.com\n" + strings.Repeat("b@example.com\n", 10),
			append([]string{"1 !malformed quoting on row 1"}, repeat(2, 11, "b@example.com")...)},
		{"invalid rows are reported with a reason", "email\nnot an@address\njohn@\n", []string{"1 !space in address", "2 !no domain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAll(t, []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(rows, "|"), strings.Join(tt.want, "|"); got != want {
				t.Errorf("rows =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func repeat(from, to int, norm string) []string {
	var rows []string
	for i := from; i <= to; i++ {
		rows = append(rows, fmt.Sprintf("%d %s", i, norm))
	}
	return rows
}

func TestReaderKeepsTheValueAsWritten(t *testing.T) {
	rd, err := NewReader(strings.NewReader("email\n  John@Example.COM \n"))
	if err != nil {
		t.Fatal(err)
	}
	row, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := segmentbot.StagedRow{Row: 1, Value: "John@Example.COM", Norm: "john@example.com", Kind: segmentbot.KindEmail}
	if !reflect.DeepEqual(*row, want) {
		t.Errorf("row = %+v; want %+v", *row, want)
	}
}

// columns returns n header cells ",c1,c2...".
func columns(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ",c%d", i+1)
	}
	return b.String()
}
