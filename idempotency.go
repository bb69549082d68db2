package segmentbot

import "context"

// IdempotencyKey is a REST client's Idempotency-Key with what became of
// its request (issue: a create that was saved but answered 500 must not
// be made twice by the client's retry).
type IdempotencyKey struct {
	Scope      string `db:"scope"` // the route, e.g. "POST /v1/segments"
	Key        string `db:"key"`
	BodyHash   string `db:"body_hash"`   // SHA-256 of the request body, hex
	Status     int    `db:"status"`      // 0 being handled, -1 failed (may be retried), else the HTTP status answered
	Response   string `db:"response"`    // the answer's body, for status > 0
	ResourceID int64  `db:"resource_id"` // what the create made, recorded in its own transaction; 0 = nothing
}

// IdempotencyService keeps Idempotency-Keys. The store implements it.
type IdempotencyService interface {
	// ClaimIdempotencyKey stores k as being handled and returns nil, or
	// returns the key as stored when it is known already.
	ClaimIdempotencyKey(ctx context.Context, k *IdempotencyKey) (*IdempotencyKey, error)
	// RetakeIdempotencyKey claims a known key again when its request
	// failed, or was abandoned long enough ago; false when it is still
	// being handled.
	RetakeIdempotencyKey(ctx context.Context, scope, key string) (bool, error)
	// FinishIdempotencyKey records the answer (status > 0) or a failure
	// (status -1).
	FinishIdempotencyKey(ctx context.Context, scope, key string, status int, response string) error
}

type idempotencyKeyCtx struct{}

// WithIdempotencyKey returns ctx carrying k, so a create records the
// resource it makes on k in the same transaction.
func WithIdempotencyKey(ctx context.Context, k *IdempotencyKey) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, k)
}

// IdempotencyKeyFrom returns the key WithIdempotencyKey put in ctx, or nil.
func IdempotencyKeyFrom(ctx context.Context) *IdempotencyKey {
	k, _ := ctx.Value(idempotencyKeyCtx{}).(*IdempotencyKey)
	return k
}
