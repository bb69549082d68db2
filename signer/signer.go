// Package signer signs what segmentbot hands out and later takes back: the
// data of card buttons (so a user cannot forge an opt-in for a segment they
// were never offered) and download links (so a report or member list can be
// fetched without a login, for a while).
//
// Signatures are deterministic HMAC-SHA256 under the shared
// SEGMENTBOT_SIGNING_KEY, so every replica accepts what any other signed.
// Each use has its own subkey, so a signature made for one use never passes
// for another. This package must not decide who may do what: it only says
// whether the bot itself produced the data.
package signer

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
)

// Signer signs and verifies card actions and download tokens.
// It is safe for concurrent use.
type Signer struct {
	actionKey   []byte
	downloadKey []byte
}

// Labels of the subkeys derived from the signing key.
const (
	labelAction   = "segmentbot/action/v1"
	labelDownload = "segmentbot/download/v1"
)

// New returns a Signer for key. An empty key would make every signature
// forgeable, so New panics on it: that is a wiring mistake, not user input.
func New(key []byte) *Signer {
	if len(key) == 0 {
		panic("signer: empty signing key")
	}
	return &Signer{
		actionKey:   subkey(key, labelAction),
		downloadKey: subkey(key, labelDownload),
	}
}

// RandomKey returns 32 random bytes, for a single replica that was given no
// SEGMENTBOT_SIGNING_KEY.
func RandomKey() []byte {
	key := make([]byte, 32)
	// crypto/rand.Read never fails on supported platforms (it crashes the
	// program instead), so the error is always nil.
	_, _ = rand.Read(key)
	return key
}

// subkey derives the key of one use from the signing key.
func subkey(key []byte, label string) []byte {
	return mac(key, []byte(label))
}

func mac(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}
