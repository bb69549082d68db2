package signer_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/signer"
)

var (
	now     = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	expires = now.Add(time.Hour)
)

func TestDownloadTokenRoundTrip(t *testing.T) {
	s := signer.New(testKey)
	tests := []struct {
		what string
		id   int64
	}{
		{"report", 42},
		{"members", 1},
		{"", 0},
		{"négatif.id", -5},
		{"a.b/c?d", 1 << 62},
	}
	for _, tt := range tests {
		token := s.DownloadToken(tt.what, tt.id, expires)
		if strings.ContainsAny(token, "+/=?&# ") {
			t.Errorf("token %q is not URL-safe", token)
		}
		what, id, err := signer.New(testKey).ParseDownloadToken(token, now)
		if err != nil || what != tt.what || id != tt.id {
			t.Errorf("parse(token of %q,%d) = %q, %d, %v", tt.what, tt.id, what, id, err)
		}
	}
}

func TestDownloadTokenExpiry(t *testing.T) {
	s := signer.New(testKey)
	token := s.DownloadToken("report", 42, expires)
	tests := []struct {
		name string
		at   time.Time
		code string
	}{
		{"long before expiry", now, ""},
		{"at the expiry second", expires.Add(999 * time.Millisecond), ""},
		{"a second after expiry", expires.Add(time.Second), segmentbot.EGONE},
		{"a day after expiry", expires.Add(24 * time.Hour), segmentbot.EGONE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.ParseDownloadToken(token, tt.at)
			if code := segmentbot.ErrorCode(err); code != tt.code {
				t.Errorf("code = %q (%v), want %q", code, err, tt.code)
			}
		})
	}
}

// forge re-encodes a token's payload after edit without re-signing it.
func forge(token string, edit func(p []byte) []byte) string {
	p, m, _ := strings.Cut(token, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(p)
	return base64.RawURLEncoding.EncodeToString(edit(raw)) + "." + m
}

func TestTamperedDownloadTokenIsForbidden(t *testing.T) {
	s := signer.New(testKey)
	token := s.DownloadToken("report", 42, expires)
	action := segmentbot.Action{Verb: "report", SegmentID: 42}
	s.SignAction(&action)
	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"no separator", strings.ReplaceAll(token, ".", "")},
		{"what changed", forge(token, func(p []byte) []byte { p[1] = 'R'; return p })},
		{"id changed", forge(token, func(p []byte) []byte { p[7]++; return p })},
		{"expiry extended", forge(token, func(p []byte) []byte { p[len(p)-1]++; return p })},
		{"payload extended", forge(token, func(p []byte) []byte { return append(p, 0) })},
		{"mac truncated", token[:len(token)-3]},
		{"mac garbled", token[:len(token)-1] + "!"},
		{"non-canonical base64", token[:len(token)-1] + string(token[len(token)-1]^1)},
		{"signed by another key", signer.New([]byte("other")).DownloadToken("report", 42, expires)},
		{"expired token with a forged expiry", forge(s.DownloadToken("report", 42, now.Add(-time.Hour)),
			func(p []byte) []byte { p[len(p)-1] += 2; return p })},
		{"action signature as token", base64.RawURLEncoding.EncodeToString([]byte("report")) + "." + action.Sig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			what, id, err := s.ParseDownloadToken(tt.token, now)
			if code := segmentbot.ErrorCode(err); code != segmentbot.EFORBIDDEN {
				t.Errorf("parse(%q) = %q, %d, code %q; want %q", tt.token, what, id, code, segmentbot.EFORBIDDEN)
			}
		})
	}
}

// An action signature and a download MAC over the same bytes must differ:
// the subkeys are separate.
func TestActionSignatureNeverPassesAsToken(t *testing.T) {
	s := signer.New(testKey)
	token := s.DownloadToken("x", 1, expires)
	payload, _, _ := strings.Cut(token, ".")
	for _, a := range []segmentbot.Action{
		{Verb: "x", SegmentID: 1},
		{Verb: "x", Arg: "1"},
		{Verb: payload},
	} {
		s.SignAction(&a)
		if _, _, err := s.ParseDownloadToken(payload+"."+a.Sig, now); err == nil {
			t.Errorf("action %+v signature accepted as a download token", a)
		}
	}
}

func FuzzParseDownloadToken(f *testing.F) {
	s := signer.New(testKey)
	f.Add(s.DownloadToken("report", 42, expires))
	f.Add(s.DownloadToken("", -1, time.Time{}))
	f.Add("")
	f.Add(".")
	f.Add("AAAA.AAAA")
	f.Add("_w.__")
	f.Fuzz(func(t *testing.T, token string) {
		_, _, err := s.ParseDownloadToken(token, now)
		if code := segmentbot.ErrorCode(err); err != nil && code != segmentbot.EFORBIDDEN && code != segmentbot.EGONE {
			t.Fatalf("code %q for %q", code, token)
		}
	})
}
