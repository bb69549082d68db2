package handlers

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// liveHeap samples the live heap (after a collection) until stop is
// called, and returns the largest growth over the heap at the start.
func liveHeap() (stop func() uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
				peak = ms.HeapAlloc - base
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// countCSVLines reads a CSV answer line by line without keeping it.
func countCSVLines(t testing.TB, resp *http.Response) (int, string) {
	t.Helper()
	sc := bufio.NewScanner(resp.Body)
	n, last := 0, ""
	for sc.Scan() {
		n++
		last = sc.Text()
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read csv: %v", err)
	}
	return n, last
}

func TestMembersCSVStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 200,000 members")
	}
	const members = 200_000
	// Holding every member at once would take well over 25 MiB of heap.
	const maxGrowth = 8 << 20
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		seg := f.createSegment("Everyone")
		start := time.Now()
		addMembers(t, db, seg.ID, members, func(i int) string { return fmt.Sprintf("Member %d", i) })
		t.Logf("setup %v", time.Since(start))
		start = time.Now()

		stop := liveHeap()
		resp := f.do("GET", fmt.Sprintf("/v1/segments/%d/members", seg.ID), nil, "Accept", "text/csv")
		lines, last := countCSVLines(t, resp)
		growth := stop()
		t.Logf("stream %v", time.Since(start))

		if resp.StatusCode != 200 || lines != members+1 {
			t.Fatalf("status %d, %d lines (last %q), want %d", resp.StatusCode, lines, last, members+1)
		}
		t.Logf("%d members: live heap grew at most %.1f MiB", members, float64(growth)/(1<<20))
		if growth > maxGrowth {
			t.Fatalf("live heap grew %.1f MiB while streaming, want at most %d MiB", float64(growth)/(1<<20), maxGrowth>>20)
		}
	})
}

// BenchmarkMembersCSV streams a segment of 1,000,000 members from
// PostgreSQL as CSV through the real handler and client, and reports the
// live heap growth of one extra, sampled run.
func BenchmarkMembersCSV(b *testing.B) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		b.Skipf("%s is empty", storetest.EnvPostgres)
	}
	const members = 1_000_000
	db := storetest.Open(b, "postgres")
	f := newFixture(b, db)
	seg := f.createSegment("Million")
	addMembers(b, db, seg.ID, members, func(i int) string { return fmt.Sprintf("Member %d", i) })
	path := fmt.Sprintf("/v1/segments/%d/members", seg.ID)
	stream := func() {
		resp := f.do("GET", path, nil, "Accept", "text/csv")
		if lines, _ := countCSVLines(b, resp); lines != members+1 {
			b.Fatalf("%d lines, want %d", lines, members+1)
		}
		resp.Body.Close()
	}

	b.ResetTimer()
	for range b.N {
		stream()
	}
	b.StopTimer()
	stop := liveHeap()
	stream()
	b.ReportMetric(float64(stop())/(1<<20), "MiB-heap-growth")
}
