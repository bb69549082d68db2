package importer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// DefaultHosts are the host suffixes chat attachments are downloaded from:
// Teams, SharePoint and OneDrive, and Meta's CDNs for Workplace/Messenger.
var DefaultHosts = []string{
	"sharepoint.com", "sharepoint-df.com", "onedrive.com", "1drv.ms", "files.1drv.com",
	"teams.microsoft.com", "smba.trafficmanager.net",
	"fbcdn.net", "fbsbx.com", "facebook.com", "workplace.com",
}

// maxRedirects is how many redirects a download may follow.
const maxRedirects = 3

// Fetcher downloads chat attachments safely: https only, from known hosts,
// never to an internal address (checked on the address actually dialled,
// so DNS cannot trick it), with a size cap and a timeout.
type Fetcher struct {
	// AllowHosts are extra hosts (and their subdomains) allowed, from
	// SEGMENTBOT_DOWNLOAD_ALLOW; they may use http, and a host named
	// exactly may resolve to a private or loopback address.
	AllowHosts []string
	MaxBytes   int64         // 0 = no cap
	Timeout    time.Duration // the whole download; 0 = none

	// resolve maps host names to IPs, standing in for DNS in tests.
	resolve map[string]string
	// tls trusts a test server's certificate.
	tls *tls.Config
}

// Open starts downloading rawURL. The body fails with ETOOLARGE once it
// passes MaxBytes. Refusals are *segmentbot.Error with a message for chat:
// EINVALID for a bad link, EFORBIDDEN for a host, scheme or address not
// allowed, EGONE for an expired link, EUNAVAILABLE when the download fails.
func (f *Fetcher) Open(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "the file link is not a valid URL")
	}
	if err := f.allowURL(u); err != nil {
		return nil, err
	}
	cancel := context.CancelFunc(func() {})
	if f.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, f.Timeout)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("download request: %w", err)
	}
	resp, err := f.client().Do(req)
	if err != nil {
		cancel()
		return nil, downloadError(ctx, err)
	}
	if err := statusError(resp.StatusCode); err != nil {
		resp.Body.Close()
		cancel()
		return nil, err
	}
	if f.MaxBytes > 0 && resp.ContentLength > f.MaxBytes {
		resp.Body.Close()
		cancel()
		return nil, f.tooLarge()
	}
	return &body{r: resp.Body, left: f.MaxBytes, capped: f.MaxBytes > 0, tooLarge: f.tooLarge(), cancel: cancel}, nil
}

// allowURL checks the scheme and host of the first URL and every redirect.
func (f *Fetcher) allowURL(u *url.URL) error {
	host := strings.ToLower(u.Hostname())
	extra := matchHost(f.AllowHosts, host)
	if !extra && !matchHost(DefaultHosts, host) {
		return segmentbot.Errorf(segmentbot.EFORBIDDEN, "I can only download files from Teams/SharePoint/OneDrive or Workplace")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && extra) {
		return segmentbot.Errorf(segmentbot.EFORBIDDEN, "I can only download files over a secure (https) link")
	}
	return nil
}

// matchHost reports whether host is one of suffixes or a subdomain of one.
func matchHost(suffixes []string, host string) bool {
	return slices.ContainsFunc(suffixes, func(s string) bool {
		s = strings.ToLower(strings.TrimPrefix(s, "*."))
		return host == s || strings.HasSuffix(host, "."+s)
	})
}

func (f *Fetcher) client() *http.Client {
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           f.dial,
		TLSClientConfig:       f.tls,
		ForceAttemptHTTP2:     true,
		DisableKeepAlives:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return segmentbot.Errorf(segmentbot.EFORBIDDEN, "the file link redirected too many times")
			}
			return f.allowURL(req.URL)
		},
	}
}

func (f *Fetcher) tooLarge() error {
	return segmentbot.Errorf(segmentbot.ETOOLARGE, "the file is larger than %s", sizeText(f.MaxBytes))
}

// sizeText says a byte count the way a person would.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// statusError turns an HTTP status of the file host into a chat message.
func statusError(code int) error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return segmentbot.Errorf(segmentbot.EFORBIDDEN, "I was not allowed to download the file; please send it again")
	case code == http.StatusNotFound || code == http.StatusGone:
		return segmentbot.Errorf(segmentbot.EGONE, "the file link has expired; please send the file again")
	}
	return segmentbot.Errorf(segmentbot.EUNAVAILABLE, "I could not download the file (HTTP %d); please try again later", code)
}

// downloadError keeps refusals as they are and says network failures in
// chat words.
func downloadError(ctx context.Context, err error) error {
	var e *segmentbot.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return segmentbot.Errorf(segmentbot.EUNAVAILABLE, "downloading the file took too long; please try again")
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return segmentbot.Errorf(segmentbot.EUNAVAILABLE, "I could not find the file's server; please try again later")
	}
	return fmt.Errorf("%w: %w", segmentbot.Errorf(segmentbot.EUNAVAILABLE, "I could not download the file; please try again later"), err)
}

// body caps a download and ends its context when closed.
type body struct {
	r        io.ReadCloser
	left     int64
	capped   bool
	tooLarge error
	cancel   context.CancelFunc
}

func (b *body) Read(p []byte) (int, error) {
	if b.capped {
		if b.left <= 0 {
			// One byte more tells a file of exactly MaxBytes from a longer one.
			var one [1]byte
			if n, _ := b.r.Read(one[:]); n > 0 {
				return 0, b.tooLarge
			}
			return b.r.Read(p)
		}
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = downloadError(context.Background(), err)
	}
	return n, err
}

func (b *body) Close() error {
	err := b.r.Close()
	b.cancel()
	return err
}
