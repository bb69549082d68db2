package segmentbot

import (
	"context"
	"time"
)

// DirectoryReader reads the changes of a tenant's directory for the
// directory sync (SEGMENTBOT_DIRECTORY_SYNC): Microsoft Graph's users
// delta.
type DirectoryReader interface {
	// ReadDirectory calls fn with each page of the tenant's users that
	// changed since link ("" reads every user), in order, and returns the
	// link that reads the changes after them. A user gone from the
	// directory (removed, or the account disabled) comes with Active
	// false. A link the directory no longer honours starts over from every
	// user; either way a read of every user says so (DirectoryRead.Full).
	// An error of fn stops the reading and is returned.
	ReadDirectory(ctx context.Context, tenantID, link string, fn func(users []*User) error) (DirectoryRead, error)
}

// DirectoryRead is what one ReadDirectory read.
type DirectoryRead struct {
	// Link reads the changes after this read.
	Link string
	// Full is true when the read listed every user of the tenant (it
	// began without a link, or the link had expired), not only changes:
	// a known user it did not list is gone from the directory.
	Full bool
	// Expired is true when the link given had expired, so the read
	// started over from every user.
	Expired bool
}

// DirectoryChange counts what a directory sync did to the known users.
type DirectoryChange struct {
	Seen       int64 // users the directory reported
	Matched    int64 // of them, users the store knows
	Left       int64 // known users newly marked as left
	Attributes int64 // known users whose attributes changed
}

// Add adds o's counts to c.
func (c *DirectoryChange) Add(o DirectoryChange) {
	c.Seen += o.Seen
	c.Matched += o.Matched
	c.Left += o.Left
	c.Attributes += o.Attributes
}

// DirectoryService is the store side of the directory sync: one run per
// tenant across replicas (a lease), the delta link kept between runs, and
// the known users brought up to date.
type DirectoryService interface {
	// DirectoryTenants lists the tenants of channel's known users that
	// have an AAD object id.
	DirectoryTenants(ctx context.Context, channel string) ([]string, error)
	// ClaimDirectorySync leases the tenant's sync to worker for lease and
	// returns the link stored by the last finished sync ("" for none). ok
	// is false, and nothing changes, while another worker holds the lease
	// or when a sync finished after since (another replica's run of the
	// same schedule).
	ClaimDirectorySync(ctx context.Context, channel, tenantID, worker string, since time.Time, lease time.Duration) (link string, ok bool, err error)
	// SaveDirectoryUsers brings the known users of the tenant that users
	// name (by AAD object id) up to date in one transaction: their
	// attributes (source directory), and Active false for those gone from
	// the directory, true for those back. Users the store does not know
	// are ignored; none is ever deleted. The known users are stamped as
	// seen by the directory at seen (see MarkUnseenLeft). It renews
	// worker's lease: ECONFLICT, nothing changed, if worker lost it.
	SaveDirectoryUsers(ctx context.Context, channel, tenantID, worker string, lease time.Duration, seen time.Time, users []*User) (DirectoryChange, error)
	// MarkUnseenLeft marks as left (Active false) the tenant's active
	// users of channel with an AAD object id whom no SaveDirectoryUsers
	// stamped at or after since, and returns how many. Called after a
	// full read of the directory that began at since, every page saved:
	// those it did not report are gone. None is deleted; their
	// attributes stay.
	MarkUnseenLeft(ctx context.Context, channel, tenantID string, since time.Time) (int64, error)
	// FinishDirectorySync ends worker's sync of the tenant: with a link,
	// stores it for the next sync and records the time; with "" (a failed
	// sync) keeps the stored one. The lease is released. ECONFLICT if
	// worker lost the lease.
	FinishDirectorySync(ctx context.Context, channel, tenantID, worker, link string) error
}
