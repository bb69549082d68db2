package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/segmentbot/segmentbot"
)

// sniffSize is how much of a file decides its encoding and kind.
const sniffSize = 64 << 10

// signatures of files people send instead of a CSV, with the advice shown.
var signatures = []struct {
	magic  string
	advice string
}{
	{"PK\x03\x04", "this looks like an Excel file; save it as CSV"},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "this looks like an Excel file; save it as CSV"},
	{"%PDF", "this looks like a PDF file; export the list as CSV"},
	{"\x89PNG", "this looks like an image (PNG); send the list as a CSV file"},
	{"GIF8", "this looks like an image (GIF); send the list as a CSV file"},
	{"\xFF\xD8\xFF", "this looks like an image (JPEG); send the list as a CSV file"},
}

// decode sniffs the start of r and returns the text of the file as UTF-8,
// without a byte order mark. Files that are not text fail with EINVALID.
func decode(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read file start: %w", err)
	}
	for _, s := range signatures {
		if bytes.HasPrefix(head, []byte(s.magic)) {
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "not a CSV file: %s", s.advice)
		}
	}
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		enc = unicode.UTF8BOM
	case bytes.HasPrefix(head, []byte("\xFF\xFE")):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(head, []byte("\xFE\xFF")):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case bytes.IndexByte(head, 0) >= 0:
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "not a CSV file: it contains binary data")
	case validUTF8Prefix(head, len(head) == sniffSize):
		return br, nil
	default:
		enc = charmap.Windows1252
	}
	return transform.NewReader(br, enc.NewDecoder()), nil
}

// validUTF8Prefix reports whether head is UTF-8, forgiving a character cut
// in half at the end when the file goes on.
func validUTF8Prefix(head []byte, truncated bool) bool {
	if utf8.Valid(head) {
		return true
	}
	if !truncated {
		return false
	}
	for cut := 1; cut < utf8.UTFMax && cut < len(head); cut++ {
		if utf8.Valid(head[:len(head)-cut]) {
			return true
		}
	}
	return false
}
