package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// adminCacheTTL is how long a directory's answer about a sender counts.
const adminCacheTTL = 10 * time.Minute

// adminList is SEGMENTBOT_ADMINS, parsed. An entry is one of:
//
//   - tenant/objectid: the Azure AD user objectid of that tenant;
//   - an email or UPN (it has an @): a user whose sign-in name the
//     channel's directory vouches for (Teams: the member API or Graph UPN
//     of a user of the home tenant; never Graph's unverified mail);
//   - anything else: an AAD object id of the home tenant (any tenant when
//     no home tenant is configured), or a channel id (a Workplace id).
type adminList struct {
	home    string          // the bot's home tenant, lower case; "" = unknown
	objects map[string]bool // tenant/objectid, lower case
	ids     map[string]bool // bare object ids and channel ids
	emails  map[string]bool
}

func parseAdmins(entries []string, home string) adminList {
	l := adminList{home: strings.ToLower(strings.TrimSpace(home)), objects: map[string]bool{}, ids: map[string]bool{}, emails: map[string]bool{}}
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
		case strings.Contains(e, "@"):
			l.emails[e] = true
		case strings.Contains(e, "/"):
			l.objects[e] = true
		default:
			l.ids[e] = true
		}
	}
	return l
}

func (l adminList) empty() bool { return len(l.objects)+len(l.ids)+len(l.emails) == 0 }

// inHome reports whether u belongs to the home tenant (always, when none
// is configured).
func (l adminList) inHome(u *segmentbot.User) bool {
	return l.home == "" || strings.EqualFold(u.TenantID, l.home)
}

// byID matches u by (tenant, object id) or channel id. When u is listed
// under another tenant, why says so.
func (l adminList) byID(u *segmentbot.User) (ok bool, why string) {
	oid := strings.ToLower(u.AADObjectID)
	if oid != "" && l.objects[strings.ToLower(u.TenantID)+"/"+oid] {
		return true, ""
	}
	if u.ExternalID != "" && l.ids[strings.ToLower(u.ExternalID)] {
		return true, ""
	}
	if oid != "" && l.ids[oid] {
		if l.inHome(u) {
			return true, ""
		}
		return false, fmt.Sprintf("object id %s is listed for the home tenant, not tenant %s", oid, u.TenantID)
	}
	return false, ""
}

// claimed is the listed email the sender's stored record shows, if any: a
// hint only, worth a log line when the sender is refused.
func (l adminList) claimed(u *segmentbot.User) string {
	for _, e := range []string{u.Email, u.UPN} {
		if e = strings.ToLower(e); e != "" && l.emails[e] {
			return e
		}
	}
	return ""
}

// isAdmin matches the sender against SEGMENTBOT_ADMINS (see adminList):
// ids first; an email entry only through the channel's directory, whose
// answer is cached. Refusals of a sender that looks like a listed admin
// are logged with the reason.
func (b *Bot) isAdmin(ctx context.Context, u *segmentbot.User) (bool, error) {
	if b.admins.empty() {
		return false, nil
	}
	ok, why := b.admins.byID(u)
	if ok {
		return true, nil
	}
	if why != "" {
		b.refused(u, why)
	}
	if len(b.admins.emails) == 0 {
		return false, nil
	}
	b.mu.Lock()
	e, cached := b.adminCache[u.ID]
	b.mu.Unlock()
	if cached && b.now().Before(e.expires) {
		return e.admin, nil
	}
	admin, err := b.verifiedEmailAdmin(ctx, u)
	if err != nil {
		return false, err
	}
	b.mu.Lock()
	b.adminCache[u.ID] = adminEntry{admin: admin, expires: b.now().Add(adminCacheTTL)}
	b.mu.Unlock()
	return admin, nil
}

// verifiedEmailAdmin asks the channel's directory for the sender's
// sign-in name and matches it against the listed emails.
func (b *Bot) verifiedEmailAdmin(ctx context.Context, u *segmentbot.User) (bool, error) {
	claimed := b.admins.claimed(u)
	dir := b.directories[u.Channel]
	if dir == nil {
		if claimed != "" {
			b.refused(u, "the "+u.Channel+" channel has no directory to confirm "+claimed)
		}
		return false, nil
	}
	email, err := dir.Email(ctx, u)
	email = strings.ToLower(email)
	if err != nil {
		// Fail closed, but visibly. A directory may name who the sender
		// claims to be alongside its refusal.
		if claimed == "" && b.admins.emails[email] {
			claimed = email
		}
		if claimed != "" || segmentbot.ErrorCode(err) == segmentbot.EINTERNAL {
			b.refused(u, fmt.Sprintf("the directory did not confirm %q as the sender's email: %v", claimed, err))
		}
		return false, nil
	}
	if b.admins.emails[email] {
		if u.Email == "" && u.ID != 0 {
			upd := *u
			upd.Email = email
			if err := b.store.UpsertUser(ctx, &upd); err != nil {
				return false, fmt.Errorf("store the sender's email: %w", err)
			}
		}
		return true, nil
	}
	if claimed != "" {
		b.refused(u, fmt.Sprintf("the record shows %s, but the directory says the sender is %q", claimed, email))
	}
	return false, nil
}

// refused logs why a sender who looks like an admin is not one.
func (b *Bot) refused(u *segmentbot.User, why string) {
	b.cfg.Logger.Warn("admin refused", "user", u.ID, "channel", u.Channel, "tenant", u.TenantID,
		"external_id", u.ExternalID, "reason", why)
}

// identities lists every configured admin identity as the directory knows
// it: object ids (without their tenant), channel ids and emails.
func (l adminList) identities() []string {
	var out []string
	for o := range l.objects {
		out = append(out, o[strings.LastIndex(o, "/")+1:])
	}
	for id := range l.ids {
		out = append(out, id)
	}
	for e := range l.emails {
		out = append(out, e)
	}
	return out
}
