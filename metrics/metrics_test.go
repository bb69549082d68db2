package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerExposesDomainCounters(t *testing.T) {
	m := New()
	m.MembershipChanges.WithLabelValues("button", "join").Inc()
	m.ImportsFinished.WithLabelValues("completed").Inc()
	m.ImportRows.WithLabelValues("added").Add(3)
	m.WarningsSent.Inc()
	m.Requests.WithLabelValues("/healthz", "GET", "200").Inc()
	m.Latency.WithLabelValues("/healthz").Observe(0.01)

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := string(raw)

	for _, want := range []string{
		`segmentbot_membership_changes_total{action="join",source="button"} 1`,
		`segmentbot_imports_finished_total{status="completed"} 1`,
		`segmentbot_import_rows_total{outcome="added"} 3`,
		`segmentbot_warnings_sent_total 1`,
		`segmentbot_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`segmentbot_http_request_duration_seconds_count{route="/healthz"} 1`,
		`go_goroutines`,
	} {
		t.Run("exposes "+want, func(t *testing.T) {
			if !strings.Contains(body, want) {
				t.Fatalf("missing from:\n%s", body)
			}
		})
	}
}

func TestNewRegistriesAreIndependent(t *testing.T) {
	// Two servers in one process (tests, or an embedding bot) must not
	// panic on duplicate registration or share counts.
	a, b := New(), New()
	a.WarningsSent.Inc()
	fams, err := b.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "segmentbot_warnings_sent_total" && f.GetMetric()[0].GetCounter().GetValue() != 0 {
			t.Fatal("a count leaked into another registry")
		}
	}
}
