package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/segmentbot/segmentbot/config"
	"github.com/segmentbot/segmentbot/manifest"
)

func migrateFlags(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, _ []string) error {
		cfg, err := config.LoadEnviron(e.environ)
		if err != nil {
			return err
		}
		db, err := openDatabase(ctx, cfg, newLogger(e.stderr, cfg.LogLevel, dbSecrets(cfg.DatabaseURL)))
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintln(e.stdout, "migrations applied to", redactDSN(cfg.DatabaseURL))
		return nil
	}
}

// healthcheckFlags probes /healthz of the service on PORT (the Docker
// image's HEALTHCHECK).
func healthcheckFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	port := e.getenv("PORT")
	if port == "" {
		port = strconv.Itoa(config.DefaultPort)
	}
	url := fs.String("url", "http://127.0.0.1:"+port+"/healthz", "the endpoint to probe (default: /healthz on PORT)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	return func(ctx context.Context, _ []string) error {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
		if err != nil {
			return usageErrorf("--url %q: %v", *url, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", *url, resp.StatusCode)
		}
		return nil
	}
}

// manifestFlags writes the Teams app package.
func manifestFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	opts := manifest.Options{}
	fs.StringVar(&opts.AppID, "app-id", e.getenv("MicrosoftAppId"), "the bot's Microsoft App ID (default: MicrosoftAppId)")
	fs.StringVar(&opts.PublicURL, "public-url", e.getenv("SEGMENTBOT_PUBLIC_URL"), "the service's public https URL (default: SEGMENTBOT_PUBLIC_URL)")
	fs.StringVar(&opts.PrivacyURL, "privacy-url", "", "https URL of your organisation's privacy statement (required)")
	fs.StringVar(&opts.TermsURL, "terms-url", "", "https URL of your organisation's terms of use (required)")
	fs.StringVar(&opts.Name, "name", manifest.DefaultName, "the app's name in Teams")
	fs.StringVar(&opts.Version, "version", manifest.DefaultVersion, "the package version")
	fs.StringVar(&opts.TeamsAppID, "teams-app-id", e.getenv("SEGMENTBOT_TEAMS_APP_ID"), "the app's id in the org's app catalog (default: SEGMENTBOT_TEAMS_APP_ID); adds webApplicationInfo")
	fs.StringVar(&opts.AADAppID, "aad-app-id", "", "the Azure AD app holding TeamsAppInstallation.ReadWriteSelfForUser.All (default: --app-id); adds webApplicationInfo")
	out := fs.String("out", "app.zip", "where to write the package")
	return func(context.Context, []string) error {
		if opts.AppID == "" {
			return usageErrorf("--app-id is required (or set MicrosoftAppId)")
		}
		for _, f := range []struct{ name, value string }{
			{"public-url", opts.PublicURL}, {"privacy-url", opts.PrivacyURL}, {"terms-url", opts.TermsURL},
		} {
			if f.value == "" {
				return usageErrorf("--%s is required", f.name)
			}
			if _, err := manifest.HTTPSURL(f.value); err != nil {
				return usageErrorf("--%s must be an absolute https URL (got %q)", f.name, f.value)
			}
		}
		zip, err := manifest.Build(opts)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, zip, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "wrote", *out)
		return nil
	}
}
