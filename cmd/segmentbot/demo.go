package main

import (
	"context"
	"errors"
	"io"
)

// demo is written in its own issue; until then it says so.
func demo(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("demo: not built yet")
}
