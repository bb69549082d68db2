package importer

import "bytes"

// maxLine is the longest physical line accepted; longer ones are not a
// list of addresses.
const maxLine = 1 << 20

// scanLines splits text at LF, CRLF or a lone CR (old Mac exports), without
// the line end.
func scanLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // a CR at the end of the buffer: wait for a possible LF
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}
