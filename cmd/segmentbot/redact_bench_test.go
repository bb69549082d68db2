package main

import (
	"io"
	"log/slog"
	"testing"
)

// BenchmarkLogLine prices the password mask on a request log line:
// "plain" is the JSON handler alone (no password in DATABASE_URL),
// "masked" the same line through scrubHandler with a password set.
func BenchmarkLogLine(b *testing.B) {
	for _, c := range []struct {
		name    string
		secrets []string
	}{
		{"plain", nil},
		{"masked", dbSecrets("postgres://app:s3cret-password@db:5432/segmentbot?sslmode=require")},
	} {
		b.Run(c.name, func(b *testing.B) {
			log := newLogger(io.Discard, slog.LevelInfo, c.secrets)
			b.ReportAllocs()
			for b.Loop() {
				log.Info("request", "method", "POST", "route", "/api/messages", "status", 200,
					"duration_ms", 3.25, "bytes", 0, "request_id", "0123456789abcdef0123456789abcdef")
			}
		})
	}
}
