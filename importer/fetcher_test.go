package importer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
)

// fileServer serves a CSV at /file.csv and redirects /to?url=... there.
func fileServer(t *testing.T, tlsServer bool, content string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/file.csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, content)
	})
	mux.HandleFunc("/stream.csv", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: the cap must hold while reading.
		for range 100 {
			io.WriteString(w, content)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("url"), http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/expired", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusNotFound)
	})
	var srv *httptest.Server
	if tlsServer {
		srv = httptest.NewTLSServer(mux)
	} else {
		srv = httptest.NewServer(mux)
	}
	t.Cleanup(srv.Close)
	return srv
}

func trustServer(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool, ServerName: "example.com"}
}

func port(srv *httptest.Server) string {
	u, _ := url.Parse(srv.URL)
	return u.Port()
}

func TestFetcherRefusals(t *testing.T) {
	plain := fileServer(t, false, "a@example.com\n")
	secure := fileServer(t, true, "a@example.com\n")
	local := "http://127.0.0.1:" + port(plain)
	// The test server's certificate is for example.com; the fake DNS below
	// sends allowed names to it.
	tests := []struct {
		name    string
		fetcher Fetcher
		url     string
		code    string
		message string
	}{
		{"loopback without allow-listing", Fetcher{}, local + "/file.csv",
			segmentbot.EFORBIDDEN, "I can only download files from Teams/SharePoint/OneDrive or Workplace"},
		{"cloud metadata address", Fetcher{}, "http://169.254.169.254/latest/meta-data/",
			segmentbot.EFORBIDDEN, "I can only download files from Teams/SharePoint/OneDrive or Workplace"},
		{"allowed name resolving to the metadata address", Fetcher{resolve: map[string]string{"files.1drv.com": "169.254.169.254"}},
			"https://files.1drv.com/file.csv", segmentbot.EFORBIDDEN, "I can't download files from an internal network address"},
		{"allowed name resolving to loopback (DNS rebinding)", Fetcher{resolve: map[string]string{"contoso.sharepoint.com": "127.0.0.1"}},
			"https://contoso.sharepoint.com:" + port(secure) + "/file.csv", segmentbot.EFORBIDDEN, "I can't download files from an internal network address"},
		{"allowed name resolving to a private address", Fetcher{resolve: map[string]string{"contoso.sharepoint.com": "10.1.2.3"}},
			"https://contoso.sharepoint.com/file.csv", segmentbot.EFORBIDDEN, "I can't download files from an internal network address"},
		{"subdomain of an allow-listed host is not trusted with private addresses", Fetcher{AllowHosts: []string{"files.test"}, resolve: map[string]string{"a.files.test": "127.0.0.1"}},
			"http://a.files.test:" + port(plain) + "/file.csv", segmentbot.EFORBIDDEN, "I can't download files from an internal network address"},
		{"http to a default host", Fetcher{}, "http://contoso.sharepoint.com/file.csv",
			segmentbot.EFORBIDDEN, "I can only download files over a secure (https) link"},
		{"look-alike host", Fetcher{}, "https://sharepoint.com.evil.example/file.csv",
			segmentbot.EFORBIDDEN, "I can only download files from Teams/SharePoint/OneDrive or Workplace"},
		{"other scheme", Fetcher{}, "file:///etc/passwd",
			segmentbot.EINVALID, "the file link is not a valid URL"},
		{"redirect from an allowed host to loopback", Fetcher{AllowHosts: []string{"127.0.0.1"}},
			local + "/to?url=" + url.QueryEscape("http://localhost:"+port(plain)+"/file.csv"),
			segmentbot.EFORBIDDEN, "I can only download files from Teams/SharePoint/OneDrive or Workplace"},
		{"redirect to an allowed name resolving to loopback", Fetcher{AllowHosts: []string{"127.0.0.1"}, resolve: map[string]string{"contoso.sharepoint.com": "127.0.0.1"}},
			local + "/to?url=" + url.QueryEscape("https://contoso.sharepoint.com:"+port(secure)+"/file.csv"),
			segmentbot.EFORBIDDEN, "I can't download files from an internal network address"},
		{"redirect to http", Fetcher{AllowHosts: []string{"127.0.0.1"}},
			local + "/to?url=" + url.QueryEscape("http://contoso.sharepoint.com/file.csv"),
			segmentbot.EFORBIDDEN, "I can only download files over a secure (https) link"},
		{"more than three redirects", Fetcher{AllowHosts: []string{"127.0.0.1"}},
			local + "/to?url=" + url.QueryEscape("/to?url="+url.QueryEscape("/to?url="+url.QueryEscape("/to?url="+url.QueryEscape("/file.csv")))),
			segmentbot.EFORBIDDEN, "the file link redirected too many times"},
		{"file larger than the cap", Fetcher{AllowHosts: []string{"127.0.0.1"}, MaxBytes: 10}, local + "/file.csv",
			segmentbot.ETOOLARGE, "the file is larger than 10 bytes"},
		{"expired link", Fetcher{AllowHosts: []string{"127.0.0.1"}}, local + "/expired",
			segmentbot.EGONE, "the file link has expired; please send the file again"},
		{"slow server", Fetcher{AllowHosts: []string{"127.0.0.1"}, Timeout: 100 * time.Millisecond}, local + "/slow",
			segmentbot.EUNAVAILABLE, "downloading the file took too long; please try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fetcher.tls = trustServer(secure)
			body, err := tt.fetcher.Open(context.Background(), tt.url)
			if err == nil {
				body.Close()
				t.Fatal("download was allowed")
			}
			if segmentbot.ErrorCode(err) != tt.code || segmentbot.ErrorMessage(err) != tt.message {
				t.Errorf("err = %v; want %s %q", err, tt.code, tt.message)
			}
		})
	}
}

func TestFetcherDownloads(t *testing.T) {
	const content = "email\na@example.com\n"
	plain := fileServer(t, false, content)
	secure := fileServer(t, true, content)
	tests := []struct {
		name    string
		fetcher Fetcher
		url     string
		want    string
	}{
		{"allow-listed host over http", Fetcher{AllowHosts: []string{"127.0.0.1"}}, plain.URL + "/file.csv", content},
		{"exactly allow-listed name resolving to loopback over https",
			Fetcher{AllowHosts: []string{"contoso.sharepoint.com"}, resolve: map[string]string{"contoso.sharepoint.com": "127.0.0.1"}},
			"https://contoso.sharepoint.com:" + port(secure) + "/file.csv", content},
		{"file of exactly the cap", Fetcher{AllowHosts: []string{"127.0.0.1"}, MaxBytes: int64(len(content))}, plain.URL + "/file.csv", content},
		{"redirect within allowed hosts", Fetcher{AllowHosts: []string{"127.0.0.1"}},
			plain.URL + "/to?url=" + url.QueryEscape("/file.csv"), content},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fetcher.tls = trustServer(secure)
			body, err := tt.fetcher.Open(context.Background(), tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			got, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("body = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestFetcherCapsAStreamWithoutLength(t *testing.T) {
	srv := fileServer(t, false, strings.Repeat("a@example.com\n", 100))
	f := Fetcher{AllowHosts: []string{"127.0.0.1"}, MaxBytes: 2 << 10}
	body, err := f.Open(context.Background(), srv.URL+"/stream.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	n, err := io.Copy(io.Discard, body)
	if segmentbot.ErrorCode(err) != segmentbot.ETOOLARGE || segmentbot.ErrorMessage(err) != "the file is larger than 2 KB" {
		t.Errorf("err = %v; want ETOOLARGE", err)
	}
	if n > f.MaxBytes {
		t.Errorf("read %d bytes past a cap of %d", n, f.MaxBytes)
	}
}
