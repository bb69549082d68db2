package signer

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// A download token is base64url(payload) "." base64url(mac), where payload is
// the length-prefixed kind of download ("report", "members", ...), the id and
// the expiry in Unix seconds, and mac is HMAC-SHA256 of the payload under the
// download subkey. Both parts are URL-safe without escaping.

func errTokenInvalid() error {
	return segmentbot.Errorf(segmentbot.EFORBIDDEN, "This link is not valid. Ask the bot for a new one.")
}

func errTokenExpired() error {
	return segmentbot.Errorf(segmentbot.EGONE, "This link has expired; ask the bot for a new one.")
}

// DownloadToken returns a token that lets its holder download what/id until
// expires (to the second).
func (s *Signer) DownloadToken(what string, id int64, expires time.Time) string {
	payload := appendString(nil, what)
	payload = binary.AppendVarint(payload, id)
	payload = binary.AppendVarint(payload, expires.Unix())
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(mac(s.downloadKey, payload))
}

// ParseDownloadToken returns what and id of a token made by DownloadToken.
// A garbled or tampered token returns an EFORBIDDEN *segmentbot.Error; a
// genuine one whose expiry is before now returns EGONE.
func (s *Signer) ParseDownloadToken(token string, now time.Time) (what string, id int64, err error) {
	encPayload, encMAC, ok := strings.Cut(token, ".")
	if !ok {
		return "", 0, errTokenInvalid()
	}
	enc := base64.RawURLEncoding.Strict()
	payload, err := enc.DecodeString(encPayload)
	if err != nil {
		return "", 0, errTokenInvalid()
	}
	got, err := enc.DecodeString(encMAC)
	if err != nil || !hmac.Equal(got, mac(s.downloadKey, payload)) {
		return "", 0, errTokenInvalid()
	}
	what, id, expires, ok := decodeDownload(payload)
	if !ok {
		// Only a signer with our key can have made this; treat it as forged.
		return "", 0, errTokenInvalid()
	}
	if now.Unix() > expires {
		return "", 0, errTokenExpired()
	}
	return what, id, nil
}

// decodeDownload is the inverse of the payload encoding; ok is false unless
// the payload is exactly one well-formed record.
func decodeDownload(p []byte) (what string, id, expires int64, ok bool) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return "", 0, 0, false
	}
	p = p[k:]
	what, p = string(p[:n]), p[n:]
	id, k = binary.Varint(p)
	if k <= 0 {
		return "", 0, 0, false
	}
	p = p[k:]
	expires, k = binary.Varint(p)
	if k <= 0 || k != len(p) {
		return "", 0, 0, false
	}
	return what, id, expires, true
}
