package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// withAttributes is row r with attribute cells given as "name=value".
func withAttributes(r segmentbot.StagedRow, cells ...string) segmentbot.StagedRow {
	for _, c := range cells {
		name, value, _ := strings.Cut(c, "=")
		r.Attributes = append(r.Attributes, segmentbot.Attribute{Name: name, Value: value})
	}
	return r
}

// attributesOf lists a user's attributes as "name=value (source)".
func attributesOf(t *testing.T, db *store.DB, userID int64) []string {
	t.Helper()
	attrs, err := db.FindAttributes(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, a := range attrs {
		out = append(out, fmt.Sprintf("%s=%s (%s)", a.Name, a.Value, a.Source))
	}
	return out
}

// importRows stages rows into a new import into seg and applies it; with
// lookups, the values the directory lacks are answered by users found
// live (each miss becomes an active user of that email), the directory's
// rows applied first while they are "looked up".
func importRows(t *testing.T, db *store.DB, segID int64, lookups bool, staged ...segmentbot.StagedRow) *segmentbot.Import {
	t.Helper()
	if !lookups {
		return importLookingUp(t, db, segID, nil, staged...)
	}
	return importLookingUp(t, db, segID, func(m segmentbot.Miss) *segmentbot.User {
		return &segmentbot.User{AADObjectID: "aad-" + m.Norm, Email: m.Norm, Active: true, InBotGroups: true}
	}, staged...)
}

// importLookingUp is importRows with the live lookup's answer to each
// miss given by found; a nil found looks nothing up.
func importLookingUp(t *testing.T, db *store.DB, segID int64, found func(segmentbot.Miss) *segmentbot.User, staged ...segmentbot.StagedRow) *segmentbot.Import {
	t.Helper()
	ctx := context.Background()
	imp := mustImport(t, db, segID)
	if _, err := db.StageRows(ctx, imp.ID, rows(staged...)); err != nil {
		t.Fatal(err)
	}
	if err := db.ResolveImport(ctx, imp.ID); err != nil {
		t.Fatal(err)
	}
	if found != nil {
		misses, err := db.ImportMisses(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyKnown(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		var results []segmentbot.LookupResult
		for _, m := range misses {
			results = append(results, segmentbot.LookupResult{Miss: m, User: found(m)})
		}
		if err := db.SaveLookups(ctx, imp.ID, results); err != nil {
			t.Fatal(err)
		}
	}
	done, err := db.ApplyImport(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func TestImportStoresAttributes(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		bob := member(t, db, "29:bob", "bob@x.com")
		cat := member(t, db, "29:cat", "cat@x.com")
		dan := member(t, db, "29:dan", "dan@x.com")
		gone := mustUser(t, db, segmentbot.User{ExternalID: "29:gone", Email: "gone@x.com", InBotGroups: true})
		db.Join(ctx, seg.ID, cat.ID, segmentbot.SourceButton, cat.ID)
		db.Leave(ctx, seg.ID, cat.ID, segmentbot.SourceButton, cat.ID, true)
		if _, err := db.SaveAttributes(ctx, []segmentbot.Attribute{
			{UserID: bob.ID, Name: "department", Value: "Finance", Source: segmentbot.AttributeDirectory},
			{UserID: bob.ID, Name: "country", Value: "NO", Source: segmentbot.AttributeDirectory},
			{UserID: dan.ID, Name: "department", Value: "Sales", Source: segmentbot.AttributeDirectory},
		}); err != nil {
			t.Fatal(err)
		}

		done := importRows(t, db, seg.ID, false,
			withAttributes(email(1, "ann@x.com"), "department=Sales", "country=UK"),
			withAttributes(email(2, "bob@x.com"), "country=SE"), // an empty department cell
			withAttributes(email(3, "cat@x.com"), "department=Ops"),
			withAttributes(invalid(4, "ann@@x", "two @"), "department=Typo"),
			withAttributes(email(5, "nobody@x.com"), "department=Ghost"),
			withAttributes(email(6, "gone@x.com"), "department=Past"),
			withAttributes(email(7, "dan@x.com"), "department=Sales"), // unchanged
			email(8, "ann@x.com"), // a duplicate without cells
		)

		t.Run("the other columns are stored on each matched user, source import", func(t *testing.T) {
			if got, want := attributesOf(t, db, ann.ID), []string{"country=UK (import)", "department=Sales (import)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("ann: %q; want %q", got, want)
			}
		})
		t.Run("an empty cell leaves the attribute as it was", func(t *testing.T) {
			if got, want := attributesOf(t, db, bob.ID), []string{"country=SE (import)", "department=Finance (directory)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("bob: %q; want %q", got, want)
			}
		})
		t.Run("users the import does not add still get their attributes", func(t *testing.T) {
			if got, want := attributesOf(t, db, cat.ID), []string{"department=Ops (import)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("opted-out cat: %q; want %q", got, want)
			}
			if got, want := attributesOf(t, db, gone.ID), []string{"department=Past (import)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("gone: %q; want %q", got, want)
			}
		})
		t.Run("a value that did not change is neither rewritten nor counted", func(t *testing.T) {
			if got, want := attributesOf(t, db, dan.ID), []string{"department=Sales (directory)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("dan: %q; want %q", got, want)
			}
		})
		t.Run("the users whose attributes changed are counted and stored with the import", func(t *testing.T) {
			got, err := db.FindImportByID(ctx, done.ID)
			if err != nil {
				t.Fatal(err)
			}
			// ann, bob, cat, gone; not dan (unchanged), nobody or the typo.
			if done.AttributesUpdated != 4 || got.AttributesUpdated != 4 {
				t.Errorf("attributes updated: returned %d, stored %d; want 4", done.AttributesUpdated, got.AttributesUpdated)
			}
			if done.Added != 3 || done.SkippedOptOut != 1 || done.Duplicates != 1 || done.Failed != 3 {
				t.Errorf("counts %+v: attributes changed the outcomes", done)
			}
		})
		t.Run("the same file again updates nobody", func(t *testing.T) {
			again := importRows(t, db, seg.ID, false, withAttributes(email(1, "ann@x.com"), "department=Sales", "country=UK"))
			if again.AttributesUpdated != 0 {
				t.Errorf("attributes updated %d; want 0", again.AttributesUpdated)
			}
		})
		t.Run("a file without attribute columns updates nobody", func(t *testing.T) {
			plain := importRows(t, db, seg.ID, false, email(1, "ann@x.com"), email(2, "bob@x.com"))
			if plain.AttributesUpdated != 0 || len(attributesOf(t, db, ann.ID)) != 2 {
				t.Errorf("attributes updated %d; ann %q", plain.AttributesUpdated, attributesOf(t, db, ann.ID))
			}
		})
	})
}

func TestImportAttributesOfDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		done := importRows(t, db, seg.ID, false,
			withAttributes(email(1, "ann@x.com"), "department=Sales", "country=UK"),
			withAttributes(email(2, "ann@x.com"), "department=Ops"),
			withAttributes(segmentbot.StagedRow{Row: 3, Value: "29:ann", Norm: "29:ann", Kind: segmentbot.KindNumeric}, "team=Blue"),
			withAttributes(email(4, "ann@x.com"), "team=Red"),
		)
		// Rows apply one after another: each name keeps its last value.
		want := []string{"country=UK (import)", "department=Ops (import)", "team=Red (import)"}
		if got := attributesOf(t, db, ann.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("ann: %q; want %q", got, want)
		}
		if done.AttributesUpdated != 1 || done.Duplicates != 3 || done.Added != 1 {
			t.Errorf("import %+v; want one user updated, one added, three duplicates", done)
		}
	})
}

// Of three rows that reach one user, the middle one's value survives for
// a name the last row lacks and the last one's for the others; a user
// counts once however many of their names change, and a value the last
// row sets back to what is stored changes nothing, whatever the rows
// between said.
func TestImportAttributesOfAUserReachedByThreeRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		bob := member(t, db, "29:bob", "bob@x.com")
		dan := member(t, db, "29:dan", "dan@x.com")
		if _, err := db.SaveAttributes(context.Background(), []segmentbot.Attribute{
			{UserID: dan.ID, Name: "department", Value: "Sales", Source: segmentbot.AttributeDirectory},
		}); err != nil {
			t.Fatal(err)
		}
		done := importRows(t, db, seg.ID, false,
			withAttributes(email(1, "ann@x.com"), "department=Sales", "country=UK"),
			withAttributes(email(2, "bob@x.com"), "department=Ops", "country=SE", "team=Blue"),
			withAttributes(email(3, "ann@x.com"), "country=FR", "team=Red"),
			withAttributes(email(4, "dan@x.com"), "department=Ops"),
			withAttributes(email(5, "ann@x.com"), "department=Finance", "country=DE"),
			withAttributes(email(6, "dan@x.com"), "department=Sales"),
		)
		for _, c := range []struct {
			name string
			id   int64
			want []string
		}{
			{"ann", ann.ID, []string{"country=DE (import)", "department=Finance (import)", "team=Red (import)"}},
			{"bob", bob.ID, []string{"country=SE (import)", "department=Ops (import)", "team=Blue (import)"}},
			{"dan", dan.ID, []string{"department=Sales (directory)"}},
		} {
			if got := attributesOf(t, db, c.id); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: %q; want %q", c.name, got, c.want)
			}
		}
		if done.AttributesUpdated != 2 || done.Duplicates != 3 || done.Added != 3 {
			t.Errorf("import %+v; want ann and bob updated, three added, three duplicates", done)
		}
	})
}

// Values found only by a live lookup get their attributes too, whether
// the directory's rows were applied while they were looked up (PostgreSQL)
// or all rows in one apply (SQLite).
func TestImportAttributesOfLookedUpUsers(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		done := importRows(t, db, seg.ID, true,
			withAttributes(email(1, "ann@x.com"), "department=Sales"),
			withAttributes(email(2, "new@x.com"), "department=Ops", "country=FR"),
		)
		users, err := db.FindUsersByEmail(ctx, "new@x.com")
		if err != nil || len(users) != 1 {
			t.Fatalf("new user: %v, %v", users, err)
		}
		if got, want := attributesOf(t, db, users[0].ID), []string{"country=FR (import)", "department=Ops (import)"}; !reflect.DeepEqual(got, want) {
			t.Errorf("looked-up user: %q; want %q", got, want)
		}
		if got, want := attributesOf(t, db, ann.ID), []string{"department=Sales (import)"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ann: %q; want %q", got, want)
		}
		stored, _ := db.FindImportByID(ctx, done.ID)
		if done.AttributesUpdated != 2 || stored.AttributesUpdated != 2 || done.Added != 2 {
			t.Errorf("import %+v (stored %d updated); want 2 added, 2 updated", done, stored.AttributesUpdated)
		}
	})
}

// A user two rows reach, one by a value the directory knows and one by a
// value only a live lookup resolves, gets each name's value from the
// file's last row, and counts once, though on PostgreSQL the directory's
// rows are applied while the other is looked up.
func TestImportAttributesOfAUserReachedByAKnownAndALookedUpRow(t *testing.T) {
	// ann.smith@x.com is ann's UPN, which the directory does not know yet:
	// the lookup answers with ann.
	smith := func(row int64) segmentbot.StagedRow { return email(row, "ann.smith@x.com") }
	known := func(row int64) segmentbot.StagedRow { return email(row, "ann@x.com") }
	for _, c := range []struct {
		name        string
		first, last segmentbot.StagedRow
		want        []string
	}{{
		name:  "the looked-up row first",
		first: withAttributes(smith(1), "department=Sales", "country=UK"),
		last:  withAttributes(known(2), "department=Ops"),
		want:  []string{"country=UK (import)", "department=Ops (import)"},
	}, {
		name:  "the known row first",
		first: withAttributes(known(1), "department=Ops", "country=UK"),
		last:  withAttributes(smith(2), "department=Sales"),
		want:  []string{"country=UK (import)", "department=Sales (import)"},
	}, {
		name:  "the known row changes nothing, the looked-up row does",
		first: withAttributes(known(1), "department=Finance"),
		last:  withAttributes(smith(2), "country=UK"),
		want:  []string{"country=UK (import)", "department=Finance (directory)"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				seg := mustSegment(t, db, "Staff")
				ann := member(t, db, "29:ann", "ann@x.com")
				if _, err := db.SaveAttributes(context.Background(), []segmentbot.Attribute{
					{UserID: ann.ID, Name: "department", Value: "Finance", Source: segmentbot.AttributeDirectory},
				}); err != nil {
					t.Fatal(err)
				}
				done := importLookingUp(t, db, seg.ID, func(m segmentbot.Miss) *segmentbot.User {
					if m.Norm != "ann.smith@x.com" {
						t.Fatalf("looked up %q; want only ann's UPN", m.Norm)
					}
					return &segmentbot.User{Email: "ann@x.com", UPN: m.Norm, Active: true, InBotGroups: true}
				}, c.first, c.last)
				if got := attributesOf(t, db, ann.ID); !reflect.DeepEqual(got, c.want) {
					t.Errorf("ann: %q; want %q (the last row's value of each name)", got, c.want)
				}
				stored, err := db.FindImportByID(context.Background(), done.ID)
				if err != nil {
					t.Fatal(err)
				}
				if done.AttributesUpdated != 1 || stored.AttributesUpdated != 1 {
					t.Errorf("attributes updated: returned %d, stored %d; want 1 (ann, once)", done.AttributesUpdated, stored.AttributesUpdated)
				}
			})
		})
	}
}

func TestImportRefusesARuleSegment(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rule := &segmentbot.Segment{Name: "UK", Filter: &segmentbot.Filter{All: []segmentbot.Condition{
			{Attribute: "country", Op: segmentbot.OpIn, Values: []string{"UK"}}}}}
		if err := db.CreateSegment(ctx, rule); err != nil {
			t.Fatal(err)
		}
		imp := &segmentbot.Import{SegmentID: rule.ID, Channel: segmentbot.ChannelTeams, FileName: "list.csv", FileURL: "https://files/x"}
		err := db.CreateImport(ctx, imp)
		wantCode(t, err, segmentbot.ERULESEGMENT)
		if !strings.Contains(segmentbot.ErrorMessage(err), "UK is a rule segment") {
			t.Errorf("message %q does not name the rule segment", segmentbot.ErrorMessage(err))
		}
		if imps, _ := db.FindImports(ctx, rule.ID, 10); len(imps) != 0 {
			t.Errorf("imports into the rule segment: %d; want none", len(imps))
		}
		wantCode(t, db.CreateImport(ctx, &segmentbot.Import{SegmentID: rule.ID + 100}), segmentbot.ENOTFOUND)
	})
}

// Cells keep every character through staging and the apply, and filters
// find them without case (the folded value is written with them).
func TestImportAttributeValuesKeepTheirCharacters(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		const office = "Zürich \"HQ\" \\ 東京\ttab"
		importRows(t, db, seg.ID, false, withAttributes(email(1, "ann@x.com"), "office="+office, "größe=ÄÖ"))
		if got, want := attributesOf(t, db, ann.ID), []string{"größe=ÄÖ (import)", "office=" + office + " (import)"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ann: %q; want %q", got, want)
		}
		f := &segmentbot.Filter{All: []segmentbot.Condition{
			{Attribute: "office", Op: segmentbot.OpIn, Values: []string{strings.ToLower(office)}},
			{Attribute: "größe", Op: segmentbot.OpIn, Values: []string{"äö"}}}}
		aud, err := db.FindAudience(ctx, seg.ID, f, 5)
		if err != nil || aud.Count != 1 {
			t.Errorf("audience of %+v: %+v, %v; want ann", f, aud, err)
		}
	})
}

// Cells that staging writes with JSON escapes (control characters, line
// and paragraph separators) or as they are (emoji, markup) come back from
// the apply as they were given.
func TestImportAttributeValuesKeepTheirEscapedCharacters(t *testing.T) {
	values := []string{"bell\a and \x1f", "line\nend\r\ttab", "a \u2028 separators \u2029 b", "Zürich 東京 😀", "</script>&"}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		row := email(1, "ann@x.com")
		want := []string{}
		for i, v := range values {
			name := fmt.Sprintf("v%d", i)
			row.Attributes = append(row.Attributes, segmentbot.Attribute{Name: name, Value: v})
			want = append(want, name+"="+v+" (import)")
		}
		importRows(t, db, seg.ID, false, row)
		if got := attributesOf(t, db, ann.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("ann: %q; want %q", got, want)
		}
	})
}

// failApplySQL makes every import that reaches phase applied fail, as a
// crash between the apply's statements and its commit would.
var failApplySQL = map[string][2]string{
	"postgres": {`
		CREATE FUNCTION fail_apply() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.phase = 'applied' THEN RAISE EXCEPTION 'injected failure'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER fail_apply BEFORE UPDATE ON imports FOR EACH ROW EXECUTE FUNCTION fail_apply()`,
		`DROP TRIGGER fail_apply ON imports`},
	"sqlite": {`
		CREATE TRIGGER fail_apply BEFORE UPDATE ON imports WHEN NEW.phase = 'applied'
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
		`DROP TRIGGER fail_apply`},
}

// An apply that fails after its attribute cells were written adds no
// member, and its retry adds them and still counts the users whose
// attributes the file changed, once. On PostgreSQL the cells are written
// on a second connection and commit before the members' transaction,
// which here fails: the retry finds their record and counts from it, as
// writing the same values again would change (and count) no one. On
// SQLite the cells are part of the members' transaction and roll back
// with it.
func TestAnApplyThatFailsAfterItsCellsCountsThemOnItsRetry(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		bob := member(t, db, "29:bob", "bob@x.com")
		imp := mustImport(t, db, seg.ID)
		if _, err := db.StageRows(ctx, imp.ID, rows(
			withAttributes(email(1, "ann@x.com"), "department=Sales", "country=UK"),
			withAttributes(email(2, "bob@x.com"), "department=Ops"))); err != nil {
			t.Fatal(err)
		}
		if err := db.ResolveImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		fail := failApplySQL[db.Dialect()]
		if err := db.Exec(ctx, fail[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApplyImport(ctx, imp.ID); err == nil || !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("apply with the failure injected: %v; want the injected failure", err)
		}
		if in, err := db.IsMember(ctx, seg.ID, ann.ID); err != nil || in {
			t.Fatalf("ann is a member after the failed apply (%v, %v); want the members rolled back", in, err)
		}
		wantCells := []string{"country=UK (import)", "department=Sales (import)"}
		if db.Dialect() == "sqlite" {
			wantCells = []string{}
		}
		if got := attributesOf(t, db, ann.ID); !reflect.DeepEqual(got, wantCells) {
			t.Errorf("ann after the failed apply: %q; want %q", got, wantCells)
		}

		if err := db.Exec(ctx, fail[1]); err != nil {
			t.Fatal(err)
		}
		done, err := db.ApplyImport(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Added != 2 || done.AttributesUpdated != 2 {
			t.Errorf("retry: added %d, attributes updated %d; want 2 and 2", done.Added, done.AttributesUpdated)
		}
		if got := attributesOf(t, db, bob.ID); !reflect.DeepEqual(got, []string{"department=Ops (import)"}) {
			t.Errorf("bob: %q; want department=Ops (import)", got)
		}
		events, err := db.FindEvents(ctx, seg.ID, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 {
			t.Errorf("ann has %d membership events; want 1 join", len(events))
		}
	})
}

// On PostgreSQL the directory's rows are applied while the misses are
// looked up (ApplyKnown), their cells on a second connection. When its
// members then fail to commit, the retry applies the whole import once
// the lookups are done, and the users the first cells changed still
// count, once, even when a looked-up row changes them again.
func TestAnImportWhoseDirectoryPartFailedCountsItsCellsWhenAppliedWhole(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		miss     string // the looked-up row's value, found as a user with that UPN and email
		found    string // the email of the user the lookup finds
		wantAnn  []string
		wantUsed int64
	}{
		{"the looked-up row is someone else", "new@x.com", "new@x.com", []string{"department=Sales (import)"}, 2},
		{"the looked-up row is ann again", "ann.smith@x.com", "ann@x.com", []string{"department=Ops (import)"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := storetest.Open(t, "postgres")
			seg := mustSegment(t, db, "Staff")
			ann := member(t, db, "29:ann", "ann@x.com")
			imp := mustImport(t, db, seg.ID)
			if _, err := db.StageRows(ctx, imp.ID, rows(
				withAttributes(email(1, "ann@x.com"), "department=Sales"),
				withAttributes(email(2, c.miss), "department=Ops"))); err != nil {
				t.Fatal(err)
			}
			if err := db.ResolveImport(ctx, imp.ID); err != nil {
				t.Fatal(err)
			}
			misses, err := db.ImportMisses(ctx, imp.ID)
			if err != nil || len(misses) != 1 {
				t.Fatalf("misses %v, %v; want %s", misses, err, c.miss)
			}
			if err := db.Exec(ctx, `
				CREATE FUNCTION fail_known() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN RAISE EXCEPTION 'injected failure'; END $$;
				CREATE TRIGGER fail_known BEFORE UPDATE OF partial ON imports FOR EACH ROW EXECUTE FUNCTION fail_known()`); err != nil {
				t.Fatal(err)
			}
			if err := db.ApplyKnown(ctx, imp.ID); err == nil || !strings.Contains(err.Error(), "injected failure") {
				t.Fatalf("ApplyKnown with the failure injected: %v", err)
			}
			if got := attributesOf(t, db, ann.ID); !reflect.DeepEqual(got, []string{"department=Sales (import)"}) {
				t.Fatalf("ann after the failed part: %q; want her cells written", got)
			}
			if err := db.Exec(ctx, `DROP TRIGGER fail_known ON imports`); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveLookups(ctx, imp.ID, []segmentbot.LookupResult{{Miss: misses[0],
				User: &segmentbot.User{Email: c.found, UPN: c.miss, Active: true, InBotGroups: true}}}); err != nil {
				t.Fatal(err)
			}
			done, err := db.ApplyImport(ctx, imp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if done.AttributesUpdated != c.wantUsed {
				t.Errorf("attributes updated for %d users; want %d, each user once", done.AttributesUpdated, c.wantUsed)
			}
			if got := attributesOf(t, db, ann.ID); !reflect.DeepEqual(got, c.wantAnn) {
				t.Errorf("ann: %q; want %q (the file's last row)", got, c.wantAnn)
			}
		})
	}
}

// The cells written beside an apply's members never wait for a
// connection of the pool the members' transaction holds one of: with
// every connection of that pool taken (here its one), an import with
// attribute columns is still applied, instead of the members waiting for
// cells that wait for a connection.
func TestAnImportWithCellsNeedsNoSecondConnectionOfThePool(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db.SetMaxOpenConns(1)
		seg := mustSegment(t, db, "Staff")
		ann := member(t, db, "29:ann", "ann@x.com")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		imp := mustImport(t, db, seg.ID)
		if _, err := db.StageRows(ctx, imp.ID, rows(withAttributes(email(1, "ann@x.com"), "department=Sales"))); err != nil {
			t.Fatal(err)
		}
		if err := db.ResolveImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		done, err := db.ApplyImport(ctx, imp.ID)
		if err != nil {
			t.Fatalf("apply with one connection in the pool: %v", err)
		}
		if done.Added != 1 || done.AttributesUpdated != 1 {
			t.Errorf("added %d, attributes updated %d; want 1 and 1", done.Added, done.AttributesUpdated)
		}
		if got := attributesOf(t, db, ann.ID); !reflect.DeepEqual(got, []string{"department=Sales (import)"}) {
			t.Errorf("ann: %q", got)
		}
	})
}
