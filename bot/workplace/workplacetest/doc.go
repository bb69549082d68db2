// Package workplacetest is the test kit of the Workplace / Messenger
// channel: signed webhook bodies in Meta's format, and a fake Graph API (Send
// API, member lookups, group members) on a loopback httptest server that
// answers in Meta's wire format, errors included; and readers of what the
// fake received (Sent.Text, Sent.Button, CheckMessage against the Send API's
// rules).
//
// It is for tests only: nothing here talks to Meta.
package workplacetest
