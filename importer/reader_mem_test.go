package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// rowsFile generates a CSV file of n rows on the fly, so the test holds no
// file either. Row i is "User i;<email of i>"; the email is
// User.i@Example.com unless email is set.
type rowsFile struct {
	n, next int
	email   func(i int) string
	buf     []byte
}

func (f *rowsFile) Read(p []byte) (int, error) {
	for len(f.buf) < len(p) && f.next <= f.n {
		switch {
		case f.next == 0:
			f.buf = append(f.buf, "Name;E-mail\r\n"...)
		case f.email != nil:
			f.buf = fmt.Appendf(f.buf, "User %d;\"%s\"\r\n", f.next, f.email(f.next))
		default:
			f.buf = fmt.Appendf(f.buf, "User %d;\"User.%d@Example.com\"\r\n", f.next, f.next)
		}
		f.next++
	}
	if len(f.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.buf)
	f.buf = f.buf[:copy(f.buf, f.buf[n:])]
	return n, nil
}

func drain(t testing.TB, r io.Reader) int64 {
	rd, err := NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows
		} else if err != nil {
			t.Fatal(err)
		}
		rows++
		if row.Norm == "" {
			t.Fatalf("row %d invalid: %s", row.Row, row.Note)
		}
	}
}

func TestReaderStreamsAMillionRowsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a million rows")
	}
	const n = 1_000_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := uint64(0)
	rd, err := NewReader(&rowsFile{n: n})
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for {
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rows++
		if rows%100_000 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
		}
	}
	runtime.ReadMemStats(&after)
	if rows != n {
		t.Fatalf("rows = %d; want %d", rows, n)
	}
	if limit := before.HeapInuse + 32<<20; peak > limit {
		t.Errorf("heap in use reached %d MB while decoding; want under %d MB", peak>>20, limit>>20)
	}
	perRow := float64(after.Mallocs-before.Mallocs) / n
	if perRow > 12 {
		t.Errorf("%.1f allocations per row; want at most 12", perRow)
	}
	t.Logf("%.1f allocations and %.0f bytes per row; peak heap %d MB", perRow, float64(after.TotalAlloc-before.TotalAlloc)/n, peak>>20)
}

func BenchmarkReader(b *testing.B) {
	const n = 100_000
	file, err := io.ReadAll(&rowsFile{n: n})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if rows := drain(b, bytes.NewReader(file)); rows != n {
			b.Fatalf("rows = %d", rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
