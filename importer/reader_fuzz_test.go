package importer

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/segmentbot/segmentbot"
)

// FuzzReader feeds arbitrary bytes to the decoder: it must never panic,
// row numbers must go up by one, and every value must be storable text.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"",
		"email\n",
		"a@example.com\r\nb@example.com",
		"\xEF\xBB\xBFemail;name\r\nx@y.de;\"Doe; J\"\r\n",
		"\xFF\xFEe\x00m\x00a\x00i\x00l\x00\n\x00",
		"\xFE\xFF\x00a\x00@\x00b\x00.\x00c\x00o",
		"z\xEB@example.com\n",
		"\"a@example.com\n\"\"\n\"",
		"name,email\n\"Doe\nJohn\",jd@example.com\n",
		"\"a\"b,c\n\"\"\"\n",
		"\r\r\n\n\r",
		"id\t\n{6A3C1E52-9F0B-4C4B-8E5D-2B1F0C9D7A11}\t\n",
		"\"",
		",,,\n;;;\n\t\t\n",
		"PK\x03\x04",
		"a@b.co\x00",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		rd, err := NewReader(bytes.NewReader(file))
		if err != nil {
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
				t.Fatalf("NewReader error %v is not EINVALID", err)
			}
			return
		}
		var last int64
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if row.Row != last+1 {
				t.Fatalf("row %d follows row %d", row.Row, last)
			}
			last = row.Row
			if bytes.IndexByte([]byte(row.Value), 0) >= 0 {
				t.Fatalf("row %d value %q holds NUL", row.Row, row.Value)
			}
			if (row.Kind == segmentbot.KindInvalid) != (row.Norm == "") {
				t.Fatalf("row %d: kind %q with norm %q", row.Row, row.Kind, row.Norm)
			}
		}
	})
}
