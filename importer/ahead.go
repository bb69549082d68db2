package importer

import (
	"context"
	"errors"
	"io"

	"github.com/segmentbot/segmentbot"
)

// Decoding runs ahead of the store by at most aheadBatches batches of
// aheadRows rows, so it overlaps with writing without holding the file.
const (
	aheadRows    = 512
	aheadBatches = 4
)

// batch is a run of decoded rows, or the error that ended decoding.
type batch struct {
	rows []*segmentbot.StagedRow
	err  error
}

// readAhead decodes rd on its own goroutine and returns a next function in
// the shape StageRows wants, and a stop function that must be called once
// the caller is done with next.
func readAhead(ctx context.Context, rd *Reader) (next func() (*segmentbot.StagedRow, error), stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, aheadBatches)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(batches)
		for {
			b := batch{rows: make([]*segmentbot.StagedRow, 0, aheadRows)}
			for len(b.rows) < aheadRows {
				row, err := rd.Next()
				if err != nil {
					b.err = err
					break
				}
				b.rows = append(b.rows, row)
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	var cur batch
	next = func() (*segmentbot.StagedRow, error) {
		for len(cur.rows) == 0 {
			if cur.err != nil {
				return nil, cur.err
			}
			b, ok := <-batches
			if !ok {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				return nil, io.EOF
			}
			cur = b
		}
		row := cur.rows[0]
		cur.rows = cur.rows[1:]
		return row, nil
	}
	stop = func() {
		cancel()
		<-finished
	}
	return next, stop
}

// isEOF reports the normal end of the rows.
func isEOF(err error) bool { return errors.Is(err, io.EOF) }
