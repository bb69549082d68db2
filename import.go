package segmentbot

import "time"

// Import statuses (DESIGN §3): a contract, never renamed.
const (
	ImportPending             = "pending"
	ImportProcessing          = "processing"
	ImportCompleted           = "completed"
	ImportCompletedWithErrors = "completed_with_errors"
	ImportFailed              = "failed"
)

// Import phases record how far a job got, so a restart resumes where it
// stopped. Each phase is committed together with its effect.
const (
	PhaseReceiving = "receiving" // the caller is staging the rows itself; workers leave it alone
	PhaseQueued    = "queued"    // waiting for a worker; the file is not staged yet
	PhaseStaged    = "staged"    // every row is in the staging table
	PhaseResolved  = "resolved"  // rows matched against the directory; misses known
	PhaseLookedUp  = "looked_up"
	PhaseApplied   = "applied" // memberships written and counted; the report is not yet delivered
	PhaseDone      = "done"    // the report was delivered (or there is nobody to tell)
)

// Row outcomes and failure reasons (DESIGN §3): contracts, never renamed.
const (
	OutcomeAdded           = "added"
	OutcomeAlreadyMember   = "already_member"
	OutcomeSkippedOptedOut = "skipped_opted_out"
	OutcomeDuplicate       = "duplicate"
	OutcomeFailed          = "failed"

	ReasonInvalid          = "invalid"
	ReasonNotFound         = "not_found"
	ReasonNotInBotGroups   = "not_in_bot_groups"
	ReasonLeftTenant       = "left_tenant"
	ReasonPermissionDenied = "permission_denied"
	ReasonLookupError      = "lookup_error"
)

// Reasons lists the failure reasons in the order reports show them.
var Reasons = []string{ReasonNotInBotGroups, ReasonLeftTenant, ReasonInvalid, ReasonNotFound, ReasonPermissionDenied, ReasonLookupError}

// ReasonText says a failure reason in the words an admin reads in chat.
func ReasonText(reason string) string {
	switch reason {
	case ReasonInvalid:
		return "typo in the address"
	case ReasonNotFound:
		return "not a user of the organisation"
	case ReasonNotInBotGroups:
		return "the user isn't in the groups attached to the bot"
	case ReasonLeftTenant:
		return "is no longer in the tenant"
	case ReasonPermissionDenied:
		return "the integration lacks the permission to read user info"
	case ReasonLookupError:
		return "the user directory did not answer; try again later"
	}
	return reason
}

// StatusText says an import status in the seed's words.
func StatusText(status string) string {
	switch status {
	case ImportCompletedWithErrors:
		return "completed with errors"
	}
	return status
}

// Value kinds of an import row after normalisation.
const (
	KindEmail   = "email"
	KindAADID   = "aad"     // AAD object id (GUID), lower case
	KindNumeric = "numeric" // numeric platform id (Workplace / Messenger)
	// KindExternal is any other value without an @: an id from another
	// system (an HR number), looked up as the directory's employeeId.
	KindExternal = "external"
	KindInvalid  = "invalid"
)

// Import is one CSV upload into one segment.
type Import struct {
	ID             int64            `json:"id" db:"id"`
	SegmentID      int64            `json:"segment_id" db:"segment_id"`
	Status         string           `json:"status" db:"status"`
	Phase          string           `json:"-" db:"phase"`
	Channel        string           `json:"-" db:"channel"`  // where the file came from: msteams, workplace or api
	Source         string           `json:"-" db:"source"`   // the members' source: SourceImport (the default), SourceChat or SourceAPI
	FileURL        string           `json:"-" db:"file_url"` // chat uploads: where to fetch it; empty once staged
	FileName       string           `json:"file_name" db:"file_name"`
	UploadedBy     int64            `json:"uploaded_by,omitempty" db:"uploaded_by"` // user id; 0 for the API
	Error          string           `json:"error,omitempty" db:"error"`             // why a failed import failed
	Total          int64            `json:"total" db:"total"`
	Added          int64            `json:"added" db:"added"`
	AlreadyMember  int64            `json:"already_member" db:"already_member"`
	SkippedOptOut  int64            `json:"skipped_opted_out" db:"skipped_opted_out"`
	Duplicates     int64            `json:"duplicates" db:"duplicates"`
	Failed         int64            `json:"failed" db:"failed"`
	FailedByReason map[string]int64 `json:"failed_by_reason"`
	// AttributesUpdated is how many users had an attribute added or
	// changed by the file's other columns (DESIGN §8).
	AttributesUpdated int64      `json:"attributes_updated" db:"attributes_updated"`
	Partial           bool       `json:"-" db:"partial"`      // the directory's rows are applied and counted; the looked-up rest is not
	Progress          int64      `json:"-" db:"progress"`     // rows done in the current phase
	ProgressMsg       string     `json:"-" db:"progress_msg"` // channel message id of the progress card
	CreatedAt         time.Time  `json:"created_at" db:"created_at"`
	StartedAt         *time.Time `json:"started_at" db:"started_at"`
	FinishedAt        *time.Time `json:"finished_at" db:"finished_at"`
}

// Done reports whether the import has reached a final status.
func (i *Import) Done() bool {
	return i.Status == ImportCompleted || i.Status == ImportCompletedWithErrors || i.Status == ImportFailed
}

// StagedRow is one data row of a CSV file after decoding and normalisation.
type StagedRow struct {
	Row   int64  // 1-based data row number (the header is not counted)
	Value string // as written in the file, trimmed
	Norm  string // normalised value used for matching; empty when invalid
	Kind  string // KindEmail, KindAADID, KindNumeric or KindInvalid
	Note  string // why the row is invalid, for the report
	// Attributes are the row's non-empty cells of the file's other
	// columns (DESIGN §8), Name and Value only, stored on the user the
	// row matches when the import is applied.
	Attributes []Attribute
}

// ImportRow is one line of an import report.
type ImportRow struct {
	Row     int64  `json:"row" db:"row_no"`
	Value   string `json:"value" db:"value"`
	Outcome string `json:"outcome" db:"outcome"`
	Reason  string `json:"reason" db:"reason"`
	Detail  string `json:"detail,omitempty" db:"detail"`
}

// Miss is a valid row value that the directory could not match; it goes to
// the live lookup.
type Miss struct {
	Kind string
	Norm string
}

// LookupResult is what a live lookup said about one Miss: either a user
// (possibly inactive or outside the bot's groups) or a failure reason.
type LookupResult struct {
	Miss   Miss
	User   *User  // nil when Reason is set
	Reason string // ReasonNotFound, ReasonPermissionDenied, ReasonLookupError
}
