package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestAnUnreachablePostgresIsTriedAgainLoggedAndThenNamed(t *testing.T) {
	addr := closedPort(t)
	for _, command := range []string{"serve", "migrate"} {
		environ := []string{
			"DATABASE_URL=postgres://app:userinfo-secret@" + addr + "/db?sslmode=disable&password=query-secret",
			"SEGMENTBOT_DATABASE_WAIT=1s",
			"PORT=" + closedPort(t)[len("127.0.0.1:"):],
		}
		code, stdout, stderr := cli(context.Background(), environ, command)
		if code != exitError {
			t.Fatalf("%s: exit %d, want 1:\n%s", command, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		tries := strings.Count(stderr, `"msg":"database unreachable; trying again"`)
		if tries < 2 {
			t.Errorf("%s: %d logged tries in 1 s, want each try logged:\n%s", command, tries, stderr)
		}
		last := lines[len(lines)-1]
		want := "segmentbot: " + command + ": DATABASE_URL=postgres://app:xxxxx@" + addr + "/db?sslmode=disable&password=xxxxx: gave up after "
		if !strings.HasPrefix(last, want) || !strings.Contains(last, "connection refused") {
			t.Errorf("%s: last line %q, want it to start %q and give the cause", command, last, want)
		}
		for _, secret := range []string{"userinfo-secret", "query-secret"} {
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("%s: the password %q is in the output:\n%s", command, secret, stderr)
			}
		}
	}
}

func TestAMissingSQLiteFolderIsNamed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	code, _, stderr := cli(context.Background(), []string{"DATABASE_URL=sqlite:" + dir + "/x.db"}, "migrate")
	want := `segmentbot: migrate: SQLite database "` + dir + `/x.db" (DATABASE_URL): the folder ` + dir + " does not exist\n"
	if code != exitError || stderr != want {
		t.Errorf("exit %d, stderr %q; want %q", code, stderr, want)
	}
}

func TestAPasswordNeverReachesALogLineOrAnError(t *testing.T) {
	addr := closedPort(t)
	for _, dsn := range []string{
		"postgres://app:pa%zzword-secret@" + addr + "/db",        // malformed: the driver's error quotes the URL
		"postgres://app:p%40ss-secret@" + addr + "/db",           // percent-encoded in the userinfo
		"postgres://app@" + addr + "/db?password=query%2Bsecret", // in the query
		"postgresql://app:plain-secret@" + addr + "/db?sslmode=disable",
	} {
		var logs bytes.Buffer
		secrets := dbSecrets(dsn)
		log := newLogger(&logs, slog.LevelDebug, secrets)
		cfg, err := loadConfig(func(k string) string {
			return map[string]string{"DATABASE_URL": dsn, "SEGMENTBOT_DATABASE_WAIT": "300ms"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = openDatabase(context.Background(), cfg, log)
		if err == nil {
			t.Fatalf("%s: opened", dsn)
		}
		log.Error("someone else logs the URL", "dsn", dsn, "err", errors.New("wrapped: "+dsn), slog.Group("g", "dsn", dsn))
		log.With("dsn", dsn).Info("and with a logger carrying it: " + dsn)
		all := logs.String() + "\n" + err.Error()
		for _, secret := range []string{"pa%zzword-secret", "p%40ss-secret", "p@ss-secret", "query%2Bsecret", "query+secret", "plain-secret"} {
			if strings.Contains(all, secret) {
				t.Errorf("%s: %q in:\n%s", dsn, secret, all)
			}
		}
		if !strings.Contains(all, "xxxxx") {
			t.Errorf("%s: nothing masked:\n%s", dsn, all)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://app:pw1234@h:5432/db?sslmode=disable", "postgres://app:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://app@h/db?sslmode=disable&password=pw1234", "postgres://app@h/db?sslmode=disable&password=xxxxx"},
		{"postgres://app:a@b@h/db", "postgres://app:xxxxx@h/db"},
		{"host=h user=app password='a b\\'c' dbname=db", "host=h user=app password=xxxxx dbname=db"},
		{"host=h password=plain dbname=db", "host=h password=xxxxx dbname=db"},
		{"postgres://app@h/db", "postgres://app@h/db"},
		{"sqlite:/data/segmentbot.db", "sqlite:/data/segmentbot.db"},
	} {
		if got := redactDSN(c.in); got != c.want {
			t.Errorf("redactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
