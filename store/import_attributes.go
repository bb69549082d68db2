package store

import (
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

// A staged row keeps the cells of the file's other columns (DESIGN §8) in
// import_rows.attributes as a JSON object of name -> value, NULL when it
// has none: the rows are staged once with COPY, and the apply reads the
// cells back only for the rows that matched a user.

// stagedAttributes is the attributes column of a staged row: nil (NULL)
// without attributes, else their JSON object.
func stagedAttributes(attrs []segmentbot.Attribute) any {
	if len(attrs) == 0 {
		return nil
	}
	b := make([]byte, 0, 16*len(attrs)+2)
	b = append(b, '{')
	for i, a := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a.Name)
		b = append(b, ':')
		b = appendJSONString(b, a.Value)
	}
	return string(append(b, '}'))
}

// appendJSONString appends s as a JSON string. It is the hot path of
// staging a file with attribute columns, where encoding/json's reflection
// cost more than the COPY itself; invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
