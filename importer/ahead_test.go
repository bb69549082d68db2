package importer

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
)

func TestReadAhead(t *testing.T) {
	t.Run("yields every row in order, then EOF", func(t *testing.T) {
		rd, err := NewReader(&rowsFile{n: 3000})
		must(t, err)
		next, stop := readAhead(context.Background(), rd)
		defer stop()
		var want int64 = 1
		for {
			row, err := next()
			if err == io.EOF {
				break
			}
			must(t, err)
			if row.Row != want {
				t.Fatalf("row %d; want %d", row.Row, want)
			}
			want++
		}
		if want != 3001 {
			t.Errorf("%d rows; want 3000", want-1)
		}
	})
	t.Run("a decoding error comes after the rows before it", func(t *testing.T) {
		file := strings.Repeat("a@example.com\n", 700) + strings.Repeat("x", maxLine+1)
		rd, err := NewReader(strings.NewReader(file))
		must(t, err)
		next, stop := readAhead(context.Background(), rd)
		defer stop()
		rows := 0
		for {
			_, err := next()
			if err != nil {
				if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
					t.Errorf("err = %v; want EINVALID", err)
				}
				break
			}
			rows++
		}
		if rows != 700 {
			t.Errorf("%d rows before the error; want 700", rows)
		}
	})
	t.Run("stopping early ends the decoder", func(t *testing.T) {
		rd, err := NewReader(&rowsFile{n: 1_000_000})
		must(t, err)
		next, stop := readAhead(context.Background(), rd)
		for range 3 {
			_, err := next()
			must(t, err)
		}
		stop() // returns only once the decoding goroutine ended
	})
}
