package faketeams

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// token is what Sign is about to sign; options change it.
type token struct {
	alg    string
	kid    string
	claims map[string]any
	rogue  bool // sign with a key the JWKS does not hold
}

// SignOption changes one thing of a signed token, to test a refusal.
type SignOption func(*token)

// Expired makes the token expire an hour ago (past any skew).
func Expired() SignOption {
	return func(t *token) {
		t.claims["nbf"] = time.Now().Add(-2 * time.Hour).Unix()
		t.claims["exp"] = time.Now().Add(-time.Hour).Unix()
	}
}

// NotYetValid makes the token valid only from an hour on.
func NotYetValid() SignOption {
	return func(t *token) { t.claims["nbf"] = time.Now().Add(time.Hour).Unix() }
}

// Audience sets aud.
func Audience(aud string) SignOption { return Claim("aud", aud) }

// Issuer sets iss.
func Issuer(iss string) SignOption { return Claim("iss", iss) }

// ServiceURL sets the serviceurl claim.
func ServiceURL(u string) SignOption { return Claim("serviceurl", u) }

// Claim sets any claim to any JSON value (nil removes it).
func Claim(name string, v any) SignOption {
	return func(t *token) {
		if v == nil {
			delete(t.claims, name)
			return
		}
		t.claims[name] = v
	}
}

// AlgNone makes an unsigned token (alg "none").
func AlgNone() SignOption { return func(t *token) { t.alg = "none" } }

// HS256 signs with HMAC over a guessable secret instead of RSA.
func HS256() SignOption { return func(t *token) { t.alg = "HS256" } }

// UnknownKid signs with a key that the JWKS does not publish.
func UnknownKid() SignOption {
	return func(t *token) { t.kid, t.rogue = UnknownKeyID, true }
}

// BadSignature signs with another key but names the published kid.
func BadSignature() SignOption { return func(t *token) { t.rogue = true } }

// Unendorsed signs with a published key endorsed for another channel.
func Unendorsed() SignOption { return func(t *token) { t.kid = UnendorsedKeyID } }

// Sign returns the Authorization header the Bot Connector would send with
// a: "Bearer <RS256 JWT>" valid for the kit's app and a's serviceUrl.
func (k *Kit) Sign(a Activity, opts ...SignOption) string {
	now := time.Now()
	t := &token{alg: "RS256", kid: KeyID, claims: map[string]any{
		"iss":        "https://api.botframework.com",
		"aud":        AppID,
		"nbf":        now.Add(-time.Minute).Unix(),
		"exp":        now.Add(time.Hour).Unix(),
		"serviceurl": a.ServiceURL(),
	}}
	for _, o := range opts {
		o(t)
	}
	payload, err := json.Marshal(t.claims)
	if err != nil {
		panic(fmt.Sprintf("faketeams: encoding claims: %v", err))
	}
	return "Bearer " + t.sign(payload)
}

func (t *token) sign(payload []byte) string {
	if t.alg == "none" {
		b64 := base64.RawURLEncoding.EncodeToString
		return b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(payload) + "."
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.KeyIDKey, t.kid)
	_ = hdr.Set(jws.TypeKey, "JWT")
	var (
		alg jwa.SignatureAlgorithm
		key any
	)
	if t.alg == "HS256" {
		alg, key = jwa.HS256(), []byte("public-knowledge-secret-of-32-bytes!")
	} else {
		main, unendorsed, rogue := signingKeys()
		raw := main
		switch {
		case t.rogue:
			raw = rogue
		case t.kid == UnendorsedKeyID:
			raw = unendorsed
		}
		jk, err := jwk.Import(raw)
		if err != nil {
			panic(fmt.Sprintf("faketeams: importing the key: %v", err))
		}
		alg, key = jwa.RS256(), jk
	}
	signed, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		panic(fmt.Sprintf("faketeams: signing: %v", err))
	}
	return string(signed)
}
