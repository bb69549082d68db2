package faketeams

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
)

// Key ids of the kit's signing keys.
const (
	KeyID           = "kit-key-msteams"
	UnendorsedKeyID = "kit-key-webchat" // published, endorsed for another channel
	UnknownKeyID    = "kit-key-unpublished"
)

// keys are generated once per test binary: RSA generation is slow.
var (
	keysOnce                      sync.Once
	mainKey, unendorsedKey, rogue *rsa.PrivateKey
)

func signingKeys() (*rsa.PrivateKey, *rsa.PrivateKey, *rsa.PrivateKey) {
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(fmt.Sprintf("faketeams: generating an RSA key: %v", err))
			}
			return k
		}
		mainKey, unendorsedKey, rogue = gen(), gen(), gen()
	})
	return mainKey, unendorsedKey, rogue
}

func (k *Kit) serveLogin(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/openidconfiguration"):
		k.metadataRequests.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                "https://api.botframework.com",
			"authorization_endpoint":                "https://invalid.botframework.com",
			"jwks_uri":                              k.Login.URL + "/v1/.well-known/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		})
	case strings.HasSuffix(r.URL.Path, "/keys"):
		k.jwksRequests.Add(1)
		if k.keysDown.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
			return
		}
		main, unendorsed, _ := signingKeys()
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{
			publicJWK(KeyID, &main.PublicKey, "msteams"),
			publicJWK(UnendorsedKeyID, &unendorsed.PublicKey, "webchat"),
		}})
	default:
		http.NotFound(w, r)
	}
}

// KeysDown makes the JWKS endpoint answer 503 (down) or serve the keys
// again.
func (k *Kit) KeysDown(down bool) { k.keysDown.Store(down) }

// publicJWK is a Bot Framework style key with endorsements.
func publicJWK(kid string, pub *rsa.PublicKey, endorsements ...string) map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]any{
		"kty":          "RSA",
		"use":          "sig",
		"kid":          kid,
		"n":            b64(pub.N.Bytes()),
		"e":            b64(big.NewInt(int64(pub.E)).Bytes()),
		"endorsements": endorsements,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
