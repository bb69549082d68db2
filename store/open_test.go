package store_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/store"
)

// A PostgreSQL that does not answer is ErrUnreachable, so start-up knows
// that waiting may help.
func TestOpenOfAnUnreachablePostgresIsErrUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = store.Open(ctx, "postgres://app@"+addr+"/db?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, store.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

// SQLite reports a missing folder as "out of memory"; Open names it.
func TestOpenOfASQLiteFileInAMissingFolderNamesTheFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-such-folder")
	_, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "x.db"))
	if err == nil || !strings.Contains(err.Error(), "the folder "+dir+" does not exist") {
		t.Fatalf("err = %v, want one naming the folder %s and the cause", err, dir)
	}
	if errors.Is(err, store.ErrUnreachable) {
		t.Error("a missing folder is not worth waiting for")
	}
}

// A malformed URL will not get better by waiting.
func TestOpenWithAMalformedPostgresURLIsNotUnreachable(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://app:p%zz@127.0.0.1:1/db")
	if err == nil || errors.Is(err, store.ErrUnreachable) {
		t.Fatalf("err = %v, want an error that is not ErrUnreachable", err)
	}
}
