package handlers

import (
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// flushEvery is how many rows go out between flushes: often enough that a
// client sees progress and nothing piles up, rarely enough to stay cheap.
const flushEvery = 1000

// csvWriter is the one way the service writes CSV. It escapes cells a
// spreadsheet would run as formulas (segmentbot.CSVCell), and flushes as it goes so memory stays
// constant however many rows are streamed.
type csvWriter struct {
	c    *gin.Context
	w    *csv.Writer
	rows int
	cell []string
}

// newCSV prepares a CSV answer; nothing is sent until enough rows are
// written or Flush is called, so an error before that can still become a
// JSON error.
func newCSV(c *gin.Context, fileName string, attachment bool) *csvWriter {
	disposition := "inline"
	if attachment {
		disposition = "attachment"
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": fileName}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	return &csvWriter{c: c, w: csv.NewWriter(c.Writer)}
}

// Write writes one row of cells, escaped.
func (w *csvWriter) Write(cells ...string) error {
	w.cell = w.cell[:0]
	for _, v := range cells {
		w.cell = append(w.cell, segmentbot.CSVCell(v))
	}
	if err := w.w.Write(w.cell); err != nil {
		return fmt.Errorf("write csv row: %w", err)
	}
	w.rows++
	if w.rows%flushEvery == 0 {
		return w.Flush()
	}
	return nil
}

// Flush sends what is buffered to the client.
func (w *csvWriter) Flush() error {
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return fmt.Errorf("flush csv: %w", err)
	}
	w.c.Writer.Flush()
	return nil
}

// streamCSV writes header and the rows produced by each, then flushes. If
// each fails before anything reached the client the answer becomes a JSON
// error; after that the connection is cut so the client sees a truncated
// download rather than a silently short file.
func (s *server) streamCSV(c *gin.Context, fileName string, attachment bool, header []string, each func(w *csvWriter) error) {
	w := newCSV(c, fileName, attachment)
	err := w.Write(header...)
	if err == nil {
		err = each(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		return
	}
	if !c.Writer.Written() {
		h := c.Writer.Header()
		h.Del("Content-Type")
		h.Del("Content-Disposition")
		writeError(c, s.log, err)
		return
	}
	if c.Request.Context().Err() == nil { // a client that went away is no error of ours
		logInternal(c, s.log, err)
	}
	panic(http.ErrAbortHandler)
}
