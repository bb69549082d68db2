package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// benchAttrsVersion names the cached benchmark database: bump it when
// the seed changes.
const benchAttrsVersion = "v1"

// benchFilter is the two conditions of BenchmarkFindAudience, the shape
// of the issue's own example (department is Sales or Marketing and
// country is not US): "Dept 0" and "Dept 1" play Sales and Marketing,
// "Country 0" plays US, spelt in other cases than stored.
var benchFilter = &segmentbot.Filter{All: []segmentbot.Condition{
	{Attribute: "department", Op: segmentbot.OpIn, Values: []string{"DEPT 0", "dept 1"}},
	{Attribute: "country", Op: segmentbot.OpNotIn, Values: []string{"COUNTRY 0"}},
}}

// BenchmarkFindAudience counts the audience of benchFilter in a segment
// of benchAudience members (1,000,000; plus 50,000 opted-out users), every
// user with the 8 directory attributes (department 10 values, country 20,
// ...): about 19 % match. In the same run it times the baseline, the
// count of the whole segment without a filter. The seeded database is
// kept between runs (a PostgreSQL schema, a SQLite file in the temporary
// folder); SEGMENTBOT_BENCH_RESEED=1 builds it again.
func BenchmarkFindAudience(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range benchDialects() {
		b.Run(dialect, func(b *testing.B) {
			db, seg := benchAttrsDB(b, dialect, benchAudience)
			want := benchAttrsMatches(benchAudience)
			var took, base []time.Duration
			for b.Loop() {
				start := time.Now()
				a, err := db.FindAudience(ctx, seg, benchFilter, 10)
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
				if a.Count != want || len(a.Sample) != 10 {
					b.Fatalf("audience %d (sample %d), want %d", a.Count, len(a.Sample), want)
				}
				start = time.Now()
				if all, err := db.FindAudience(ctx, seg, nil, 10); err != nil || all.Count != int64(benchAudience) {
					b.Fatalf("whole audience %+v, %v", all, err)
				}
				base = append(base, time.Since(start))
			}
			slices.Sort(took)
			slices.Sort(base)
			b.ReportMetric(took[len(took)/2].Seconds()*1000, "median_ms/audience")
			b.ReportMetric(base[len(base)/2].Seconds()*1000, "median_ms/unfiltered")
		})
	}
}

// benchAttrNames are the seeded attributes, in name order: user i has
// attribute k with value "<prefix> <(i / 7^k) % values>", so the matches
// of benchFilter can be counted in Go.
var benchAttrNames = []struct {
	name   string
	values int
	prefix string
}{
	{"city", 100, "City"}, {"companyname", 5, "Company"}, {"country", 20, "Country"}, {"department", 10, "Dept"},
	{"employeetype", 3, "Type"}, {"jobtitle", 200, "Title"}, {"officelocation", 50, "Office"}, {"preferredlanguage", 10, "Lang"},
}

// benchValueSQL is the SQL of user u's value of attribute k; dividing by
// 7^k spreads the attributes independently of each other.
func benchValueSQL(k int) string {
	a := benchAttrNames[k]
	return fmt.Sprintf("'%s ' || ((u.id / %d) %% %d)", a.prefix, pow(7, k), a.values)
}

func pow(x, k int) int {
	n := 1
	for range k {
		n *= x
	}
	return n
}

// benchAttrsMatches counts the members 1..n whose department is 0 or 1
// ("Dept 0" and "Dept 1" play Sales and Marketing) and whose country is
// not 0 ("Country 0" plays US).
func benchAttrsMatches(n int) int64 {
	var c int64
	for i := 1; i <= n; i++ {
		dept := (i / pow(7, 3)) % 10
		country := (i / pow(7, 2)) % 20
		if (dept == 0 || dept == 1) && country != 0 {
			c++
		}
	}
	return c
}

// benchAttrsDB opens (seeding it the first time) the cached database of
// BenchmarkFindAudience and returns it with the segment's id.
func benchAttrsDB(b *testing.B, dialect string, n int) (*store.DB, int64) {
	b.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("bench_attrs_%d_%s", n, benchAttrsVersion)
	var dsn string
	if dialect == "sqlite" {
		path := filepath.Join(os.TempDir(), "segmentbot-"+name+".db")
		if os.Getenv("SEGMENTBOT_BENCH_RESEED") != "" {
			os.Remove(path)
		}
		dsn = "sqlite:" + path
	} else {
		dsn = benchSchema(b, name)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if seg, err := db.FindSegmentByName(ctx, "Everyone"); err == nil {
		return db, seg.ID
	}
	seg := &segmentbot.Segment{Name: "Everyone (seeding)"}
	if err := db.CreateSegment(ctx, seg); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	raw, q := seedAudience(b, dialect, dsn, seg.ID, n)
	defer raw.Close()
	values := make([]string, len(benchAttrNames))
	for k, a := range benchAttrNames {
		values[k] = fmt.Sprintf("SELECT '%s' AS name, %d AS k", a.name, k)
	}
	cases := "CASE a.k"
	for k := range benchAttrNames {
		cases += fmt.Sprintf(" WHEN %d THEN %s", k, benchValueSQL(k))
	}
	cases += " END"
	for _, s := range []string{
		`DROP INDEX user_attributes_name_value`,
		// SQLite keeps the CROSS JOIN's order: users outside, names
		// inside, the order of the primary key.
		`INSERT INTO user_attributes (user_id, name, value, value_fold, source, updated_at)
			SELECT id, name, v, lower(v), 'directory', ? FROM (
				SELECT u.id, a.name, ` + cases + ` AS v
				FROM users u CROSS JOIN (` + strings.Join(values, " UNION ALL ") + `) a
			) x`,
		`CREATE INDEX user_attributes_name_value ON user_attributes (name, value_fold, user_id)`,
	} {
		args := []any{}
		if strings.Contains(s, "?") {
			args = append(args, time.Now().UTC())
		}
		if _, err := raw.Exec(q(s), args...); err != nil {
			b.Fatalf("seed attributes: %v\n%s", err, s)
		}
	}
	if dialect == "postgres" {
		if _, err := raw.Exec(`VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	} else if _, err := raw.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	everyone := "Everyone"
	if _, err := db.UpdateSegment(ctx, seg.ID, segmentbot.SegmentUpdate{Name: &everyone}); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %s %s in %s", dialect, name, time.Since(start).Round(time.Second))
	return db, seg.ID
}

// benchSchema returns a DSN on the PostgreSQL schema name, kept between
// runs (dropped first under SEGMENTBOT_BENCH_RESEED).
func benchSchema(b *testing.B, name string) string {
	b.Helper()
	base := os.Getenv(storetest.EnvPostgres)
	admin, err := sql.Open("postgres", base)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if os.Getenv("SEGMENTBOT_BENCH_RESEED") != "" {
		if _, err := admin.Exec("DROP SCHEMA IF EXISTS " + name + " CASCADE"); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := admin.Exec("CREATE SCHEMA IF NOT EXISTS " + name); err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	qs := u.Query()
	qs.Set("search_path", name)
	u.RawQuery = qs.Encode()
	return u.String()
}

// BenchmarkSaveAttributes stores two attributes of each of benchRows
// users (100,000) in one SaveAttributes, the write an import with two
// attribute columns adds: first into an empty table (all new), then the
// same values again (nothing changes), then new values for all.
func BenchmarkSaveAttributes(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range benchDialects() {
		b.Run(dialect, func(b *testing.B) {
			db, _, raw, q := openSeeded(b, dialect, benchRows)
			attrs := make([]segmentbot.Attribute, 0, 2*benchRows)
			for i := 1; i <= benchRows; i++ {
				attrs = append(attrs,
					segmentbot.Attribute{UserID: int64(i), Name: "region", Value: fmt.Sprintf("Region %d", i%7), Source: segmentbot.AttributeImport},
					segmentbot.Attribute{UserID: int64(i), Name: "cost centre", Value: fmt.Sprintf("CC-%d", i%113), Source: segmentbot.AttributeImport})
			}
			var fresh, same, changed []time.Duration
			round := 0
			for b.Loop() {
				round++
				if _, err := raw.Exec(q(`DELETE FROM user_attributes`)); err != nil {
					b.Fatal(err)
				}
				for _, step := range []struct {
					took   *[]time.Duration
					suffix string
					want   int64
				}{{&fresh, "", int64(benchRows)}, {&same, "", 0}, {&changed, fmt.Sprintf(" r%d", round), int64(benchRows)}} {
					batch := attrs
					if step.suffix != "" {
						batch = slices.Clone(attrs)
						for i := range batch {
							batch[i].Value += step.suffix
						}
					}
					start := time.Now()
					n, err := db.SaveAttributes(ctx, batch)
					if err != nil {
						b.Fatal(err)
					}
					*step.took = append(*step.took, time.Since(start))
					if n != step.want {
						b.Fatalf("changed %d users, want %d", n, step.want)
					}
				}
			}
			for _, m := range []struct {
				took []time.Duration
				unit string
			}{{fresh, "median_ms/new"}, {same, "median_ms/same"}, {changed, "median_ms/changed"}} {
				slices.Sort(m.took)
				b.ReportMetric(m.took[len(m.took)/2].Seconds()*1000, m.unit)
			}
		})
	}
}

// BenchmarkRuleSegment makes a rule segment of benchFilter over the
// cached database of BenchmarkFindAudience (its 186,004 matching users
// join, with their events), syncs it once with nothing to change, and
// deletes it again.
func BenchmarkRuleSegment(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range benchDialects() {
		b.Run(dialect, func(b *testing.B) {
			db, _ := benchAttrsDB(b, dialect, benchAudience)
			want := benchAttrsMatches(benchAudience)
			var create, sync []time.Duration
			for b.Loop() {
				seg := &segmentbot.Segment{Name: "Rule bench", Filter: benchFilter}
				start := time.Now()
				if err := db.CreateSegment(ctx, seg); err != nil {
					b.Fatal(err)
				}
				create = append(create, time.Since(start))
				start = time.Now()
				change, err := db.SyncRuleSegment(ctx, seg.ID)
				if err != nil {
					b.Fatal(err)
				}
				sync = append(sync, time.Since(start))
				if _, err := db.DeleteSegment(ctx, seg.ID, 0); err != nil {
					b.Fatal(err)
				}
				// The users 1..n matching are members; the 50,000 opted out of
				// Everyone are not opted out of this one.
				if seg.Members < want || *change != (segmentbot.RuleChange{}) {
					b.Fatalf("created with %d members (want at least %d), sync %+v", seg.Members, want, change)
				}
			}
			slices.Sort(create)
			slices.Sort(sync)
			b.ReportMetric(create[len(create)/2].Seconds()*1000, "median_ms/create")
			b.ReportMetric(sync[len(sync)/2].Seconds()*1000, "median_ms/sync")
		})
	}
}
