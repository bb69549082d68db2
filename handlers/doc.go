// Package handlers is the HTTP face of segmentbot: the Bot Framework
// endpoint (/api/messages), the Meta webhook (/webhooks/workplace), the /v1
// REST API for other systems, signed CSV downloads, health, readiness and
// Prometheus metrics.
//
// It is the only package that uses Gin, and Gin never leaves it: New returns
// a plain http.Handler and the caller owns the http.Server. It translates
// HTTP to domain calls and error codes to statuses (in statusOf, one place);
// it must not hold business rules, parse channel payloads, or talk to a
// database except through segmentbot.Store.
package handlers
