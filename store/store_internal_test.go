package store

import (
	"context"
	"os"
	"testing"
)

// The service's PostgreSQL settings reach the server whatever form the
// DSN takes, and a setting the DSN makes itself wins.
func TestWithParamKeepsEveryDSNForm(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://h/db", "postgres://h/db?jit=off"},
		{"postgres://h/db?sslmode=disable", "postgres://h/db?sslmode=disable&jit=off"},
		{"host=h dbname=db", "host=h dbname=db jit=off"},
		{"postgres://h/db?jit=on", "postgres://h/db?jit=on"},
	} {
		if got := withParam(c.dsn, "jit", "off"); got != c.want {
			t.Errorf("withParam(%q) = %q, want %q", c.dsn, got, c.want)
		}
	}
}

// JIT compilation is off on every connection: it cost the import's
// set-based statements more time than they took to run.
func TestPostgresConnectionsRunWithoutJIT(t *testing.T) {
	dsn := os.Getenv("SEGMENTBOT_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("SEGMENTBOT_TEST_POSTGRES is empty")
	}
	db, err := openPostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var jit string
	if err := db.db.GetContext(context.Background(), &jit, "SHOW jit"); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Errorf("jit = %q, want off", jit)
	}
}

func TestValuesRows(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		want       string
	}{
		{1, 1, "(?)"},
		{2, 3, "(?, ?, ?), (?, ?, ?)"},
	} {
		if got := valuesRows(c.rows, c.cols); got != c.want {
			t.Errorf("valuesRows(%d, %d) = %q, want %q", c.rows, c.cols, got, c.want)
		}
	}
}
