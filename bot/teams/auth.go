package teams

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// clockSkew is the tolerance on exp and nbf.
const clockSkew = 5 * time.Minute

// validator checks the JWT the Bot Connector sends with every activity. It
// implements msbotbuilder-go's auth.TokenValidator, replacing the library's
// (which fetches metadata per request, races on its cache, and panics on
// odd claims).
type validator struct {
	appID    string
	keys     *keySource
	now      func() time.Time
	verified *verifiedTokens // nil: check every signature
}

var _ auth.TokenValidator = (*validator)(nil)

// AuthenticateRequest returns the identity of a valid token and an error
// for anything else; it never panics on a malformed token.
func (v *validator) AuthenticateRequest(ctx context.Context, a schema.Activity, header string, _ auth.CredentialProvider, _ string) (auth.ClaimsIdentity, error) {
	token, ok := bearer(header)
	if !ok {
		return nil, errors.New("no bearer token")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("token is not a compact JWS")
	}
	var head struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &head); err != nil {
		return nil, fmt.Errorf("token header: %w", err)
	}
	if head.Alg != "RS256" {
		return nil, fmt.Errorf("signing algorithm %q is not allowed", head.Alg)
	}
	if head.Kid == "" {
		return nil, errors.New("token has no kid")
	}
	key, err := v.keys.key(ctx, head.Kid)
	if err != nil {
		return nil, err
	}
	if !endorses(key, a.ChannelID) {
		return nil, fmt.Errorf("signing key %q is not endorsed for channel %q", head.Kid, a.ChannelID)
	}
	payload, ok := v.verified.payload(token, key)
	if !ok {
		if payload, err = jws.Verify([]byte(token), jws.WithKey(jwa.RS256(), key)); err != nil {
			return nil, fmt.Errorf("token signature: %w", err)
		}
		v.verified.remember(token, key, payload)
	}
	claims, err := v.checkClaims(payload, a.ServiceURL)
	if err != nil {
		return nil, err
	}
	return auth.NewClaimIdentity(claims, true), nil
}

// tokenClaims are the claims checked; a claim of the wrong JSON type fails
// decoding and so the request.
type tokenClaims struct {
	Iss        string   `json:"iss"`
	Aud        audience `json:"aud"`
	Exp        *float64 `json:"exp"`
	Nbf        *float64 `json:"nbf"`
	ServiceURL *string  `json:"serviceurl"`
	AppID      string   `json:"appid"`
	Azp        string   `json:"azp"`
}

func (v *validator) checkClaims(payload []byte, serviceURL string) (map[string]any, error) {
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("token claims: %w", err)
	}
	now := v.now()
	switch {
	case c.Iss != tokenIssuer:
		return nil, fmt.Errorf("issuer %q is not %s", c.Iss, tokenIssuer)
	case !c.Aud.has(v.appID):
		return nil, errors.New("token is for another audience")
	case c.Exp == nil:
		return nil, errors.New("token has no exp")
	case now.After(unix(*c.Exp).Add(clockSkew)):
		return nil, errors.New("token expired")
	case c.Nbf != nil && now.Before(unix(*c.Nbf).Add(-clockSkew)):
		return nil, errors.New("token not valid yet")
	case c.ServiceURL == nil:
		return nil, errors.New("token has no serviceurl claim")
	case *c.ServiceURL != serviceURL:
		return nil, fmt.Errorf("serviceurl claim %q does not match the activity's %q", *c.ServiceURL, serviceURL)
	}
	// Strings only, so the library's GetClaimValue cannot panic on them.
	return map[string]any{"iss": c.Iss, "aud": v.appID, "serviceurl": *c.ServiceURL, "appid": c.AppID, "azp": c.Azp}, nil
}

// audience is the aud claim: one string or a list of them.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor a list of strings")
	}
	*a = many
	return nil
}

func (a audience) has(s string) bool {
	for _, x := range a {
		if x == s && s != "" {
			return true
		}
	}
	return false
}

func unix(secs float64) time.Time {
	return time.Unix(int64(secs), 0)
}

// bearer takes the token out of an Authorization header.
func bearer(header string) (string, bool) {
	header = strings.TrimSpace(header)
	if len(header) < 7 || !strings.EqualFold(header[:7], "bearer ") {
		return "", false
	}
	token := strings.TrimSpace(header[7:])
	return token, token != ""
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
