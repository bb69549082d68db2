package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The clock newApp is given is the whole app's, the store's included: a
// segment made through REST is stamped with it.
func TestNewAppGivesItsClockToTheStore(t *testing.T) {
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	vars := map[string]string{
		"DATABASE_URL":        "sqlite:" + filepath.Join(t.TempDir(), "clock.db"),
		"SEGMENTBOT_API_KEYS": apiKey,
	}
	cfg, err := loadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.stop(context.Background()) })

	req := httptest.NewRequest("POST", "/v1/segments", strings.NewReader(`{"name":"Clocked"}`))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /v1/segments = %d %s", rec.Code, rec.Body)
	}
	var seg struct {
		CreatedAt time.Time `json:"created_at"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &seg); err != nil {
		t.Fatal(err)
	}
	if !seg.CreatedAt.Equal(at) {
		t.Fatalf("created_at = %s, want the app's clock %s", seg.CreatedAt, at)
	}
}
