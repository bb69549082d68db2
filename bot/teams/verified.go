package teams

import (
	"crypto/sha256"
	"sync"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// verifiedTokens remembers the payloads of tokens whose signature this
// process checked. The Bot Connector sends the same token with every
// activity for up to an hour, and checking an RS256 signature was a tenth
// of a tap's CPU. An entry is used only while the key that signed it is
// still the one the key set gives for its kid; the claims (exp, nbf,
// serviceurl, aud) are checked on every request all the same.
type verifiedTokens struct {
	max int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedToken
}

type verifiedToken struct {
	key     jwk.Key
	payload []byte
}

// verifiedTokensMax bounds the cache: a connector uses a handful of live
// tokens at a time.
const verifiedTokensMax = 1024

func newVerifiedTokens(max int) *verifiedTokens {
	return &verifiedTokens{max: max, entries: map[[sha256.Size]byte]verifiedToken{}}
}

// payload returns the payload of token if it was verified with key.
func (t *verifiedTokens) payload(token string, key jwk.Key) ([]byte, bool) {
	if t == nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[sum]
	if !ok || e.key != key {
		return nil, false
	}
	return e.payload, true
}

// remember records that token's signature checked out with key.
func (t *verifiedTokens) remember(token string, key jwk.Key, payload []byte) {
	if t == nil {
		return
	}
	sum := sha256.Sum256([]byte(token))
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) >= t.max {
		clear(t.entries) // expired tokens go too; live ones are verified again once
	}
	t.entries[sum] = verifiedToken{key: key, payload: payload}
}
