package segmentbot

import (
	"context"
	"time"
)

// Page asks for one page of a list: at most Limit items after the item with
// id After (0 = from the start). Limit 0 means a default of 100.
type Page struct {
	After int64
	Limit int
}

// SegmentUpdate is a change to a segment; nil fields stay as they are.
type SegmentUpdate struct {
	Name        *string
	Description *string
	Reply       *string
	Visibility  *string
	// Filter is a rule segment's new rule: its members are brought in
	// line with it at once (joins and leaves with source rule, opted-out
	// users kept out), and the segment returned says how many joined and
	// left (RuleChange). A segment without a rule cannot take one.
	Filter *Filter
}

// SegmentService keeps segments. Names are unique case-insensitively.
type SegmentService interface {
	// CreateSegment stores seg and fills its ID and CreatedAt.
	// EINVALID for a bad name, ECONFLICT for a taken one.
	CreateSegment(ctx context.Context, seg *Segment) error
	// FindSegmentByID returns ENOTFOUND if there is none.
	FindSegmentByID(ctx context.Context, id int64) (*Segment, error)
	// FindSegmentByName matches case-insensitively; ENOTFOUND if none.
	FindSegmentByName(ctx context.Context, name string) (*Segment, error)
	// FindSegments lists segments by id, with member counts and last import.
	FindSegments(ctx context.Context, p Page) ([]*Segment, error)
	// UpdateSegment applies upd in one transaction; ENOTFOUND, EINVALID
	// (also for a Filter given to a segment without a rule), ECONFLICT.
	UpdateSegment(ctx context.Context, id int64, upd SegmentUpdate) (*Segment, error)
	// DeleteSegment removes the segment and its memberships, keeps the
	// event log (a leave event per member, source "segment"), cancels its
	// broadcasts and returns them. ENOTFOUND.
	DeleteSegment(ctx context.Context, id int64, actorID int64) ([]*Broadcast, error)
	// SegmentsOfUser lists the segments userID belongs to.
	SegmentsOfUser(ctx context.Context, userID int64) ([]*Segment, error)
	// FindOpenSegments lists open segments by id after p.After, and counts
	// all open segments.
	FindOpenSegments(ctx context.Context, p Page) ([]*Segment, int64, error)
}

// UserService keeps the user directory.
type UserService interface {
	// UpsertUser inserts or updates u by (Channel, ExternalID) and fills its
	// ID. Empty fields of u do not overwrite stored ones.
	UpsertUser(ctx context.Context, u *User) error
	// UpsertUsers does the same for many users (a roster) in one
	// transaction, marking them InBotGroups.
	UpsertUsers(ctx context.Context, users []*User) error
	// FindUserByID returns ENOTFOUND if there is none.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// FindUserByExternalID returns ENOTFOUND if there is none.
	FindUserByExternalID(ctx context.Context, channel, externalID string) (*User, error)
	// FindUsersByEmail matches email or UPN, case-insensitively.
	FindUsersByEmail(ctx context.Context, email string) ([]*User, error)
	// FindUsersByIdentity matches an identity as SEGMENTBOT_ADMINS lists
	// them: an email or UPN (case-insensitively), an AAD object id, or a
	// channel id.
	FindUsersByIdentity(ctx context.Context, identity string) ([]*User, error)
}

// TeamService keeps the groups the bot is installed in.
type TeamService interface {
	// SaveTeam inserts or updates t by (Channel, ID).
	SaveTeam(ctx context.Context, t *Team) error
	// FindTeams lists the teams of a channel.
	FindTeams(ctx context.Context, channel string) ([]*Team, error)
}

// MembershipService changes and lists segment memberships. Every change
// writes the event log in the same transaction; concurrent changes of one
// (segment, user) are serialised, so the last event logged is the state.
type MembershipService interface {
	// Join adds userID to the segment and clears its opt-out. It reports
	// whether the user was not a member before. ENOTFOUND for a missing
	// segment or user. When ctx carries a Once (WithOnce) not taken yet,
	// the change records its activity in the same commit, and fails with
	// ErrRepeated, changing nothing, when the activity was recorded before.
	// A source not ByUser cannot join a user who opted out of the segment
	// or of everything: ErrOptedOut, nothing changed.
	Join(ctx context.Context, segmentID, userID int64, source string, actorID int64) (bool, error)
	// Leave removes userID from the segment; with optOut it also records a
	// sticky opt-out that later imports respect. It reports whether the user
	// was a member. ENOTFOUND, and ErrRepeated under a Once, as Join.
	Leave(ctx context.Context, segmentID, userID int64, source string, actorID int64, optOut bool) (bool, error)
	// OptOutAll removes userID from every segment with a sticky opt-out,
	// records the global opt-out that keeps admins from adding them to any
	// segment, existing or made later, and returns the segments left.
	OptOutAll(ctx context.Context, userID int64, source string) ([]*Segment, error)
	// Resubscribe is the user's own way back after OptOutAll: it lifts
	// the global opt-out and joins the segments of segmentIDs that still
	// exist (source resubscribe), all in one transaction. It returns
	// those segments and how many the user was not in before.
	Resubscribe(ctx context.Context, userID int64, segmentIDs []int64) ([]*Segment, int, error)
	// IsUnsubscribed reports whether userID opted out of everything.
	IsUnsubscribed(ctx context.Context, userID int64) (bool, error)
	// IsOptedOut reports whether userID opted out of the segment.
	IsOptedOut(ctx context.Context, segmentID, userID int64) (bool, error)
	// IsMember reports whether userID is in the segment.
	IsMember(ctx context.Context, segmentID, userID int64) (bool, error)
	// FitsRule reports whether userID belongs in the segment by its rule
	// (Segment.Filter), as the rule's sync decides: active, reachable and
	// matching. It returns the rule as stored; a segment without one gives
	// nil and true. ENOTFOUND for a missing segment.
	FitsRule(ctx context.Context, segmentID, userID int64) (*Filter, bool, error)
	// FindMembers returns one page of members ordered by user id.
	FindMembers(ctx context.Context, segmentID int64, p Page) ([]*Member, error)
	// EachMember calls fn for every member, streaming from the database.
	EachMember(ctx context.Context, segmentID int64, fn func(*Member) error) error
	// FindEvents returns the log for (segment, user); 0 means any.
	FindEvents(ctx context.Context, segmentID, userID int64) ([]*MembershipEvent, error)
	// FindUserEvents returns one page of a person's history, oldest
	// first, with segment and admin names.
	FindUserEvents(ctx context.Context, userID int64, p Page) ([]*UserEvent, error)
}

// ActivityService makes redelivered channel activities harmless.
type ActivityService interface {
	// BeginActivity claims an activity id. It returns false when the id was
	// processed already or is being processed now; a claim older than
	// stale whose processing never finished is taken over.
	BeginActivity(ctx context.Context, channel, id string, stale time.Duration) (bool, error)
	// FinishActivity marks it processed (ok) or releases the claim so the
	// channel's retry runs again (!ok).
	FinishActivity(ctx context.Context, channel, id string, ok bool) error
	// DeleteActivitiesBefore forgets activities claimed before t (channels
	// redeliver within minutes) and returns how many.
	DeleteActivitiesBefore(ctx context.Context, t time.Time) (int64, error)
}

// ImportService keeps imports, their staged rows and their jobs. Every
// step is idempotent and records its phase in the same transaction, so a
// worker that dies resumes from the last committed phase.
type ImportService interface {
	// CreateImport stores imp as pending and fills ID, CreatedAt. Its
	// phase is queued, or receiving when imp.Phase says so (the caller
	// stages the rows itself and no worker claims it until StageRows).
	CreateImport(ctx context.Context, imp *Import) error
	// FindImportByID returns ENOTFOUND if there is none.
	FindImportByID(ctx context.Context, id int64) (*Import, error)
	// FindImports lists imports newest first; segmentID 0 = all.
	FindImports(ctx context.Context, segmentID int64, limit int) ([]*Import, error)
	// ClaimImport takes the oldest import that needs a worker — unfinished
	// and not receiving, or finished (phase applied) with its report not yet
	// delivered — whose lease is free (never claimed, or its holder stopped
	// renewing), leasing it to worker for lease. A finished import keeps its
	// status. It returns nil, nil when there is none.
	ClaimImport(ctx context.Context, worker string, lease time.Duration) (*Import, error)
	// ClaimImportByID leases one import to worker whatever its phase
	// (a caller that runs the import itself); ECONFLICT when another
	// worker holds it.
	ClaimImportByID(ctx context.Context, id int64, worker string, lease time.Duration) (*Import, error)
	// RenewImport extends worker's lease; ECONFLICT if it lost it.
	RenewImport(ctx context.Context, id int64, worker string, lease time.Duration) error
	// StageRows replaces the import's staged rows with those next yields
	// until it returns io.EOF, in one transaction, and sets phase staged
	// and the total.
	StageRows(ctx context.Context, id int64, next func() (*StagedRow, error)) (int64, error)
	// ResolveImport matches staged rows against the directory, marks
	// duplicates, and sets phase resolved.
	ResolveImport(ctx context.Context, id int64) error
	// ImportMisses lists distinct valid values that matched no user and
	// have no lookup result, and sets them aside for ApplyKnown.
	ImportMisses(ctx context.Context, id int64) ([]Miss, error)
	// SaveLookups stores live lookup results: found users go into the
	// directory, failures onto the rows. Idempotent.
	SaveLookups(ctx context.Context, id int64, results []LookupResult) error
	// ApplyKnown applies the rows whose value the directory knows while
	// the misses set aside are still being looked up live: their
	// memberships, outcomes and counts, with Partial set; ApplyImport then
	// applies the rest. It does nothing to an import that is partial or
	// finished.
	ApplyKnown(ctx context.Context, id int64) error
	// ApplyImport writes the memberships (skipping opted-out users),
	// fills every row's outcome, counts them, and finishes the import with
	// phase applied, all in one transaction. Imports into one segment are
	// applied one at a time.
	ApplyImport(ctx context.Context, id int64) (*Import, error)
	// MarkImportReported sets phase done once the report was delivered.
	MarkImportReported(ctx context.Context, id int64) error
	// SetImportPhase records phase and progress of a running import.
	SetImportPhase(ctx context.Context, id int64, phase string, progress int64) error
	// SetImportMessage records the channel message id of the progress card.
	SetImportMessage(ctx context.Context, id int64, messageID string) error
	// FailImport finishes the import as failed with a reason for the admin.
	FailImport(ctx context.Context, id int64, reason string) error
	// EachImportRow streams the report rows in row order.
	EachImportRow(ctx context.Context, id int64, fn func(*ImportRow) error) error
	// DeleteImportsBefore removes finished imports (and their rows)
	// finished before t, and returns how many.
	DeleteImportsBefore(ctx context.Context, t time.Time) (int64, error)
}

// BroadcastService keeps broadcasts. The finders fill the counts
// (BroadcastCounts) from per-status counters, never by counting rows.
type BroadcastService interface {
	// CreateBroadcast stores b as scheduled, with its Message and Filter
	// (nil Message: a placeholder, never sent); ENOTFOUND for a missing
	// segment, EINVALID for a bad one.
	CreateBroadcast(ctx context.Context, b *Broadcast) error
	// FindBroadcastByID returns ENOTFOUND if there is none.
	FindBroadcastByID(ctx context.Context, id int64) (*Broadcast, error)
	// FindBroadcasts lists scheduled broadcasts after now, soonest first
	// (all of them, newest first, when upcomingOnly is false).
	FindBroadcasts(ctx context.Context, now time.Time, upcomingOnly bool) ([]*Broadcast, error)
	// CancelBroadcast marks a scheduled or sending broadcast cancelled and
	// returns it: sending stops, and rows not sent stay pending. One that
	// is cancelled already is returned as it is. ENOTFOUND; ECONFLICT for
	// one that finished (sent, sent_with_errors, failed, past).
	CancelBroadcast(ctx context.Context, id int64) (*Broadcast, error)
}

// DeliveryService is the store side of delivering broadcasts (DESIGN §7),
// used by the broadcaster. A broadcast with a message goes scheduled ->
// sending (FixAudience) -> sent | sent_with_errors | failed
// (FinishBroadcast), or cancelled. Its owner (ClaimBroadcast, a lease)
// fixes the audience, reports and finishes it; every replica may send its
// rows (ClaimDeliveries, a lease per row).
type DeliveryService interface {
	// ClaimBroadcast leases to worker the oldest broadcast that needs an
	// owner and whose lease is free: one with a message that is due
	// (scheduled at or before now), one sending, or one that finished
	// after it started and whose report was not delivered. It returns nil,
	// nil when there is none.
	ClaimBroadcast(ctx context.Context, worker string, now time.Time, lease time.Duration) (*Broadcast, error)
	// RenewBroadcast extends worker's lease and returns the broadcast as
	// it is now (a cancel shows in its status). ECONFLICT if worker lost
	// the lease, ENOTFOUND.
	RenewBroadcast(ctx context.Context, id int64, worker string, lease time.Duration) (*Broadcast, error)
	// FindSendingBroadcasts lists the broadcasts being sent, oldest first,
	// for replicas that help send them.
	FindSendingBroadcasts(ctx context.Context) ([]*Broadcast, error)
	// FixAudience writes, in one set-based statement, a pending delivery
	// row for every member of the broadcast's segment who has not opted
	// out (and matches its filter), each user once, and makes a scheduled
	// broadcast sending with StartedAt and Audience set. A second call
	// does nothing. It returns the broadcast as it is then (a cancelled
	// one is returned unchanged). ENOTFOUND; EINVALID for a placeholder or
	// a filter the store cannot apply.
	FixAudience(ctx context.Context, id int64) (*Broadcast, error)
	// ClaimDeliveries leases to worker up to limit pending rows of a
	// sending broadcast whose lease is free, in user id order after the
	// user id after (0: from the start; SKIP LOCKED on PostgreSQL, so
	// replicas never claim one row together). Rows of users who opted out
	// of the segment since the audience was fixed become skipped /
	// opted_out instead and are not returned. Nothing is returned for a
	// broadcast that is not sending.
	ClaimDeliveries(ctx context.Context, id int64, worker string, lease time.Duration, after int64, limit int) ([]*Recipient, error)
	// RenewDeliveries extends worker's lease on those of the users' rows
	// it still holds pending in the broadcast, and returns the users whose
	// rows it renewed: a row another worker claimed meanwhile is not.
	RenewDeliveries(ctx context.Context, id int64, worker string, lease time.Duration, users []int64) ([]int64, error)
	// MarkDeliveries records sends in one transaction: each row that is
	// still pending moves to its result's status (sent_at set for sent)
	// and the counters follow; a row no longer pending is left as it is.
	MarkDeliveries(ctx context.Context, id int64, results []DeliveryResult) error
	// FinishBroadcast ends a sending broadcast with no pending row left:
	// sent when every row was sent or skipped, failed when none was sent
	// and some failed, else sent_with_errors; FinishedAt is set. A
	// cancelled broadcast gets FinishedAt only. It returns the broadcast
	// with its counts. ECONFLICT while rows are pending, ENOTFOUND.
	FinishBroadcast(ctx context.Context, id int64) (*Broadcast, error)
	// MarkBroadcastReported records that the final report was delivered,
	// so no owner reports it again.
	MarkBroadcastReported(ctx context.Context, id int64) error
	// SetBroadcastMessage records the channel message id of the progress
	// card.
	SetBroadcastMessage(ctx context.Context, id int64, messageID string) error
	// EachDelivery streams the broadcast's rows in user id order, with the
	// user's name and email (deliveries.csv). ENOTFOUND for no broadcast.
	EachDelivery(ctx context.Context, id int64, fn func(*Delivery) error) error
	// TakeSendSlots reserves n consecutive send slots, every apart, on the
	// pace of key (a tenant), shared by every replica: it returns the time
	// of the first; slot i is at first + i*every. No slot lies before now
	// or before the time HoldSending set.
	TakeSendSlots(ctx context.Context, key string, every time.Duration, n int) (time.Time, error)
	// HoldSending moves the pace of key to until at the earliest (a 429's
	// Retry-After slows the whole tenant).
	HoldSending(ctx context.Context, key string, until time.Time) error
	// ExpirePlaceholders marks scheduled broadcasts without a message
	// whose time is at or before now past, and returns how many.
	ExpirePlaceholders(ctx context.Context, now time.Time) (int64, error)
}

// LateUpload is a broadcast and a large import into its segment that
// breaks the lead-time rule and has not been warned about.
type LateUpload struct {
	Broadcast Broadcast
	Import    Import
}

// WarningService finds late uploads and keeps the warnings sent about them.
type WarningService interface {
	// FindLateUploads applies the rule of DESIGN §6 in one query.
	FindLateUploads(ctx context.Context, now time.Time, largeRows int64, lead time.Duration) ([]*LateUpload, error)
	// CreateWarning stores w as pending unless one exists for the same
	// (broadcast, import, user); it reports whether it was created.
	CreateWarning(ctx context.Context, w *Warning) (bool, error)
	// ClaimWarnings leases up to limit pending warnings whose lease is free
	// to worker (SKIP LOCKED on PostgreSQL), so two replicas never send the
	// same one at once.
	ClaimWarnings(ctx context.Context, worker string, lease time.Duration, limit int) ([]*Warning, error)
	// MarkWarning records a delivery attempt by worker: sent when sendErr
	// is empty, else attempts+1 and the lease released for a retry (status
	// failed once attempts reach maxAttempts).
	MarkWarning(ctx context.Context, id int64, worker string, sendErr string, maxAttempts int) error
	// FindWarnings lists warnings newest first.
	FindWarnings(ctx context.Context, limit int) ([]*Warning, error)
}

// Store is everything the database keeps.
type Store interface {
	SegmentService
	UserService
	TeamService
	MembershipService
	ActivityService
	ImportService
	BroadcastService
	DeliveryService
	DraftService
	WarningService
	AttributeService
	DirectoryService
	// Ping checks the database is reachable (readiness).
	Ping(ctx context.Context) error
	Close() error
}
