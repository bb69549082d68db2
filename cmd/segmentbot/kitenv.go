package main

import "github.com/segmentbot/segmentbot/bot/teams/faketeams"

// kitEnv is the configuration that points the service at a faketeams kit
// (login, tokens, Graph) with real authentication, plus extra. The demo,
// the end-to-end tests and the benchmarks all start the service this way.
func kitEnv(kit *faketeams.Kit, dsn, publicURL string, extra map[string]string) func(string) string {
	kc := kit.Config()
	vars := map[string]string{
		"DATABASE_URL":             dsn,
		"MicrosoftAppId":           kc.AppID,
		"MicrosoftAppPassword":     kc.AppPassword,
		"MicrosoftAppTenantId":     kc.TenantID,
		"BOT_OPENID_METADATA_URL":  kc.OpenIDMetadataURL,
		"BOT_TOKEN_URL":            kc.TokenURL,
		"GRAPH_URL":                kc.GraphURL,
		"SEGMENTBOT_PUBLIC_URL":    publicURL,
		"SEGMENTBOT_WARN_SCHEDULE": "@every 1h",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }
}
