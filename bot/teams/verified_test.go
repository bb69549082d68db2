package teams

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

func testKey(t *testing.T) jwk.Key {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.Import(raw.Public())
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// A remembered payload is given back only for the very same token checked
// with the very same key: another token, or the same token once the key
// set has another key for its kid, is verified again.
func TestVerifiedTokensNeedTheSameTokenAndKey(t *testing.T) {
	k1, k2 := testKey(t), testKey(t)
	v := newVerifiedTokens(2)
	v.remember("a.b.c", k1, []byte(`{"iss":"x"}`))
	if p, ok := v.payload("a.b.c", k1); !ok || string(p) != `{"iss":"x"}` {
		t.Fatalf("payload(same token, same key) = %q, %v", p, ok)
	}
	if _, ok := v.payload("a.b.d", k1); ok {
		t.Fatal("another token was taken as verified")
	}
	if _, ok := v.payload("a.b.c", k2); ok {
		t.Fatal("a token was taken as verified with a key that did not check it")
	}
	v.remember("d.e.f", k1, nil)
	v.remember("g.h.i", k1, nil) // full: the cache starts over
	if _, ok := v.payload("a.b.c", k1); ok {
		t.Fatal("the cache grew past its bound")
	}
	var none *verifiedTokens
	none.remember("a.b.c", k1, nil)
	if _, ok := none.payload("a.b.c", k1); ok {
		t.Fatal("a nil cache remembered a token")
	}
}
