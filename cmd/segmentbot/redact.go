package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// mask replaces a secret wherever segmentbot shows it.
const mask = "xxxxx"

// minSecret is the shortest secret replaced wherever it appears in a log
// line or an error: a shorter one would garble every line that happens to
// contain its letters. Database URLs are masked by their structure
// (redactDSN) whatever the length.
const minSecret = 4

// passwordParam is a password= setting of a URL query or of a key/value
// DSN (password='a b\'c' or password=plain).
var passwordParam = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)`)

// redactDSN is a database URL fit for logs and errors: the password of
// the userinfo and every password= setting masked. It does not parse the
// URL, so a malformed one is masked as well.
func redactDSN(dsn string) string {
	if start, end, ok := userinfoPassword(dsn); ok {
		dsn = dsn[:start] + mask + dsn[end:]
	}
	return passwordParam.ReplaceAllString(dsn, "${1}"+mask)
}

// userinfoPassword locates the password in scheme://user:password@host.
func userinfoPassword(dsn string) (start, end int, ok bool) {
	i := strings.Index(dsn, "://")
	if i < 0 {
		return 0, 0, false
	}
	authStart := i + 3
	authority := dsn[authStart:]
	if j := strings.IndexAny(authority, "/?#"); j >= 0 {
		authority = authority[:j]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.Index(authority[:at], ":")
	if colon < 0 {
		return 0, 0, false
	}
	return authStart + colon + 1, authStart + at, true
}

// dbSecrets are the passwords dsn carries, as written and decoded: the
// strings that must never appear in a log line or an error.
func dbSecrets(dsn string) []string {
	var raw []string
	if start, end, ok := userinfoPassword(dsn); ok {
		raw = append(raw, dsn[start:end])
	}
	for _, m := range passwordParam.FindAllStringSubmatch(dsn, -1) {
		v := m[2]
		if len(v) >= 2 && strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") {
			v = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v[1 : len(v)-1])
		}
		raw = append(raw, v)
	}
	var out []string
	add := func(s string) {
		if len(s) >= minSecret && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range raw {
		add(s)
		if d, err := url.PathUnescape(s); err == nil {
			add(d)
		}
		if d, err := url.QueryUnescape(s); err == nil {
			add(d)
		}
		add(url.QueryEscape(s))
	}
	return out
}

// scrub replaces every secret in s.
func scrub(s string, secrets []string) string {
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, mask)
	}
	return s
}

// scrubbedError is an error whose text went through scrub. It keeps no
// chain: the wrapped errors carry the secret.
type scrubbedError struct{ msg string }

func (e *scrubbedError) Error() string { return e.msg }

func scrubError(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	return &scrubbedError{scrub(err.Error(), secrets)}
}

// scrubHandler masks secrets in the message and the attributes of every
// log record, so no log line carries them, whoever wrote it.
type scrubHandler struct {
	slog.Handler
	secrets []string
}

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	if len(h.secrets) == 0 {
		return h.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, scrub(r.Message, h.secrets), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h scrubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return scrubHandler{Handler: h.Handler.WithAttrs(clean), secrets: h.secrets}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{Handler: h.Handler.WithGroup(name), secrets: h.secrets}
}

func (h scrubHandler) attr(a slog.Attr) slog.Attr {
	if len(h.secrets) == 0 {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, scrub(v.String(), h.secrets))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		}
		if clean := scrub(s, h.secrets); clean != s {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
