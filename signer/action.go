package signer

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"

	"github.com/segmentbot/segmentbot"
)

// errActionInvalid is what a user sees after tapping a forged or outdated
// button.
func errActionInvalid() error {
	return segmentbot.Errorf(segmentbot.EFORBIDDEN, "This button is not valid any more. Ask an admin for a new card.")
}

// SignAction sets a.Sig to the signature of every other field of a.
func (s *Signer) SignAction(a *segmentbot.Action) {
	a.Sig = base64.RawURLEncoding.EncodeToString(s.actionMAC(*a))
}

// VerifyAction checks a.Sig against the other fields of a, in constant time.
// A missing or wrong signature returns an EFORBIDDEN *segmentbot.Error.
func (s *Signer) VerifyAction(a segmentbot.Action) error {
	if a.Sig == "" {
		return errActionInvalid()
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(a.Sig)
	if err != nil {
		return errActionInvalid()
	}
	if !hmac.Equal(got, s.actionMAC(a)) {
		return errActionInvalid()
	}
	return nil
}

func (s *Signer) actionMAC(a segmentbot.Action) []byte {
	return mac(s.actionKey, encodeAction(a))
}

// encodeAction is the canonical form of an action: every field length- or
// width-prefixed in a fixed order, so no two different actions share an
// encoding. A nil and an empty Segments list are the same action (the JSON
// of both omits the field).
func encodeAction(a segmentbot.Action) []byte {
	b := make([]byte, 0, 64+8*len(a.Segments)+len(a.Verb)+len(a.Arg))
	b = appendString(b, a.Verb)
	b = binary.BigEndian.AppendUint64(b, uint64(a.SegmentID))
	b = binary.AppendUvarint(b, uint64(len(a.Segments)))
	for _, id := range a.Segments {
		b = binary.BigEndian.AppendUint64(b, uint64(id))
	}
	b = appendString(b, a.Arg)
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
