package workplace

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// Verify answers Meta's subscription check (GET with hub.mode,
// hub.verify_token and hub.challenge): it returns the challenge when mode is
// "subscribe" and the token matches, else EFORBIDDEN.
func (c *Channel) Verify(mode, token, challenge string) (string, error) {
	if mode != "subscribe" || subtle.ConstantTimeCompare([]byte(token), []byte(c.cfg.VerifyToken)) != 1 {
		return "", segmentbot.Errorf(segmentbot.EFORBIDDEN, "Workplace webhook verification failed")
	}
	return challenge, nil
}

// checkSignature verifies the webhook signature over the raw body:
// X-Hub-Signature-256 (sha256=<hex>) when present, else the legacy
// X-Hub-Signature (sha1=<hex>). EFORBIDDEN when missing or wrong.
func (c *Channel) checkSignature(sig256, sig1 string, body []byte) error {
	key := []byte(c.cfg.AppSecret)
	var ok bool
	switch {
	case sig256 != "":
		ok = validMAC(sha256.New, "sha256=", sig256, key, body)
	case sig1 != "":
		ok = validMAC(sha1.New, "sha1=", sig1, key, body)
	default:
		return segmentbot.Errorf(segmentbot.EFORBIDDEN, "Workplace webhook has no signature")
	}
	if !ok {
		return segmentbot.Errorf(segmentbot.EFORBIDDEN, "Workplace webhook signature does not match")
	}
	return nil
}

// validMAC reports whether header is prefix followed by the hex HMAC of body.
func validMAC(newHash func() hash.Hash, prefix, header string, key, body []byte) bool {
	digest, ok := strings.CutPrefix(strings.TrimSpace(header), prefix)
	if !ok {
		return false
	}
	got, err := hex.DecodeString(digest)
	if err != nil {
		return false
	}
	mac := hmac.New(newHash, key)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
