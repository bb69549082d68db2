// Package workplacetest is the test kit of the Workplace / Messenger
// channel: signed webhook bodies in Meta's format, and a fake Graph API (Send
// API, member lookups, group members) on a loopback httptest server that
// answers in Meta's wire format, errors included; and readers of what the
// fake received (Sent.Text, Sent.Button, CheckMessage against the Send API's
// rules). For broadcasts: Fail (with FailTimes) answers a recipient's
// sends with a Send API error by code (ErrPersonUnavailable 551, the rate
// limits ErrTooManyCalls 4, ErrUserRateLimit 17, ErrPageRateLimit 32,
// ErrCallsExceeded 613, the permission errors 10 and 200), and Sent,
// SentTo and Sent.At say what arrived, to whom and when.
//
// It is for tests only: nothing here talks to Meta.
package workplacetest
