package segmentbot

import "time"

// Broadcast statuses.
const (
	BroadcastScheduled = "scheduled"
	BroadcastCancelled = "cancelled"
	BroadcastPast      = "past"
)

// Broadcast is a message planned for a segment at a time. segmentbot does
// not send it; it knows of it so it can warn about late uploads.
type Broadcast struct {
	ID          int64     `json:"id" db:"id"`
	SegmentID   int64     `json:"segment_id" db:"segment_id"`
	Name        string    `json:"name" db:"name"`
	ScheduledAt time.Time `json:"scheduled_at" db:"scheduled_at"`
	CreatedBy   int64     `json:"created_by,omitempty" db:"created_by"` // user id; 0 for the API
	Status      string    `json:"status" db:"status"`
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
}

// Warning statuses.
const (
	WarningPending = "pending" // written, not yet delivered
	WarningSent    = "sent"
	WarningFailed  = "failed" // gave up after retries
)

// Warning tells one admin that a large upload landed too close to a
// broadcast. There is one per (broadcast, import, recipient), written before
// the message is sent, so it is sent once.
type Warning struct {
	ID          int64      `json:"id" db:"id"`
	BroadcastID int64      `json:"broadcast_id" db:"broadcast_id"`
	ImportID    int64      `json:"import_id" db:"import_id"`
	UserID      int64      `json:"user_id" db:"user_id"`
	Status      string     `json:"status" db:"status"`
	Attempts    int        `json:"attempts" db:"attempts"`
	LastError   string     `json:"last_error,omitempty" db:"last_error"`
	CreatedAt   time.Time  `json:"created_at" db:"created_at"`
	SentAt      *time.Time `json:"sent_at" db:"sent_at"`
}
