package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// minProgressGap is the shortest time between two updates of a progress
// card, whatever the broadcaster asks: Teams allows 7 messages a second
// per conversation, and a card flickering faster helps nobody.
const minProgressGap = time.Second

// Reporter tells admins how a broadcast goes: a progress card sent once
// and updated in place, then the final report in its place. The admin who
// made the broadcast in chat gets it; a broadcast made through REST
// reports to the admins of SEGMENTBOT_ADMINS who have a chat with the bot.
// It implements broadcaster.Reporter.
type Reporter struct {
	b *Bot

	mu     sync.Mutex
	states map[int64]*reportState
}

// reportState is what the reporter remembers of one broadcast.
type reportState struct {
	to     []*segmentbot.User
	cards  map[int64]string // user id -> message id of their progress card
	noEdit map[int64]bool   // users whose channel cannot edit a message
	shown  time.Time
}

// Reporter returns the broadcast reporter of the bot.
func (b *Bot) Reporter() *Reporter {
	return &Reporter{b: b, states: map[int64]*reportState{}}
}

// DeliveriesURL is the signed link to a broadcast's deliveries.csv.
func (b *Bot) DeliveriesURL(broadcastID int64) string { return b.link("deliveries", broadcastID) }

// Progress shows br's counts on the progress card, sending it the first
// time and updating it in place after that.
func (r *Reporter) Progress(ctx context.Context, br *segmentbot.Broadcast, left time.Duration) {
	st, err := r.state(ctx, br)
	if err != nil {
		r.b.cfg.Logger.Warn("broadcast progress: find whom to tell", "broadcast", br.ID, "err", err)
		return
	}
	now := r.b.now()
	if !st.shown.IsZero() && now.Sub(st.shown) < minProgressGap {
		return
	}
	st.shown = now
	msg := progressCard(br, r.segmentName(ctx, br), left)
	sent := false
	for _, u := range st.to {
		m := r.b.messengers[u.Channel]
		id := st.cards[u.ID]
		switch {
		case m == nil || st.noEdit[u.ID]:
		case id == "":
			id, err := m.Send(ctx, u, msg)
			if err != nil {
				r.b.cfg.Logger.Warn("broadcast progress: send card", "broadcast", br.ID, "user", u.ID, "err", err)
				continue
			}
			st.cards[u.ID], sent = id, true
		default:
			err := m.Update(ctx, u, id, msg)
			if segmentbot.ErrorCode(err) == segmentbot.EINVALID {
				st.noEdit[u.ID] = true // the first card stays; the report follows
			} else if err != nil {
				r.b.cfg.Logger.Warn("broadcast progress: update card", "broadcast", br.ID, "user", u.ID, "err", err)
			}
		}
	}
	if sent {
		r.saveCards(ctx, br.ID, st)
	}
}

// Finished turns each progress card into the report, or sends the report
// where there is no card or it cannot be edited. It returns an error only
// when nobody got the report and a later try may work.
func (r *Reporter) Finished(ctx context.Context, br *segmentbot.Broadcast) error {
	st, err := r.state(ctx, br)
	if err != nil {
		return fmt.Errorf("report broadcast %d: %w", br.ID, err)
	}
	msg := reportCard(br, r.segmentName(ctx, br), r.b.DeliveriesURL(br.ID))
	var errs []error
	delivered := 0
	for _, u := range st.to {
		m := r.b.messengers[u.Channel]
		if m == nil {
			continue
		}
		if id := st.cards[u.ID]; id != "" && !st.noEdit[u.ID] {
			if err := m.Update(ctx, u, id, msg); err == nil {
				delivered++
				continue
			}
		}
		if _, err := m.Send(ctx, u, msg); err != nil {
			r.b.cfg.Logger.Warn("broadcast report: send", "broadcast", br.ID, "user", u.ID, "err", err)
			if code := segmentbot.ErrorCode(err); code == segmentbot.EINTERNAL || code == segmentbot.EUNAVAILABLE {
				errs = append(errs, err)
			}
			continue
		}
		delivered++
	}
	if delivered == 0 && len(errs) > 0 {
		return fmt.Errorf("report broadcast %d: %w", br.ID, errors.Join(errs...))
	}
	r.mu.Lock()
	delete(r.states, br.ID)
	r.mu.Unlock()
	return nil
}

// state finds (once per broadcast) whom to tell, and the cards sent
// before, possibly by a replica that owned the broadcast earlier.
func (r *Reporter) state(ctx context.Context, br *segmentbot.Broadcast) (*reportState, error) {
	r.mu.Lock()
	st := r.states[br.ID]
	r.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st = &reportState{cards: map[int64]string{}, noEdit: map[int64]bool{}}
	if br.CreatedBy != 0 {
		u, err := r.b.store.FindUserByID(ctx, br.CreatedBy)
		if err != nil && segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
			return nil, err
		}
		if u != nil && u.ConvRef != "" {
			st.to = []*segmentbot.User{u}
		}
	} else {
		admins, err := r.b.store.FindChatUsers(ctx, r.b.cfg.Admins)
		if err != nil {
			return nil, err
		}
		st.to = admins
	}
	if br.ProgressMessage != "" {
		if err := json.Unmarshal([]byte(br.ProgressMessage), &st.cards); err != nil {
			r.b.cfg.Logger.Warn("broadcast progress: unreadable card ids; sending new cards", "broadcast", br.ID, "err", err)
		}
	}
	r.mu.Lock()
	r.states[br.ID] = st
	r.mu.Unlock()
	return st, nil
}

// saveCards records the card ids, so a replica taking the broadcast over
// updates the same cards.
func (r *Reporter) saveCards(ctx context.Context, id int64, st *reportState) {
	raw, err := json.Marshal(st.cards)
	if err == nil {
		err = r.b.store.SetBroadcastMessage(ctx, id, string(raw))
	}
	if err != nil {
		r.b.cfg.Logger.Warn("broadcast progress: save card ids", "broadcast", id, "err", err)
	}
}

// segmentName is the broadcast's segment name, from the short-lived cache
// (counting a large segment's members at every update would cost more
// than the update).
func (r *Reporter) segmentName(ctx context.Context, br *segmentbot.Broadcast) string {
	seg, err := r.b.segments.tapSegment(ctx, br.SegmentID)
	if err != nil {
		return "a deleted segment"
	}
	return seg.Name
}

// progressCard is the card shown while a broadcast is sent.
func progressCard(br *segmentbot.Broadcast, segment string, left time.Duration) segmentbot.Message {
	msg := segmentbot.Message{
		Title: "Sending " + br.Name,
		Text:  fmt.Sprintf("To %s: %s. This card follows the sending; type cancel broadcast %d to stop it.", addressees(segment, br), people(br.Audience), br.ID),
		Facts: []segmentbot.Fact{
			{Name: "Sent", Value: segmentbot.Count(br.Sent)},
			{Name: "Failed", Value: segmentbot.Count(br.Failed)},
			{Name: "Left", Value: segmentbot.Count(br.Pending)},
			{Name: "Time left", Value: timeLeft(left)},
		},
	}
	if br.Skipped > 0 {
		msg.Facts = append(msg.Facts[:2], append([]segmentbot.Fact{{Name: "Skipped (opted out)", Value: segmentbot.Count(br.Skipped)}}, msg.Facts[2:]...)...)
	}
	return msg
}

// addressees names whom a broadcast goes to: its segment, and its filter
// in words ("News where department is Sales").
func addressees(segment string, br *segmentbot.Broadcast) string {
	if br.Filter == nil {
		return segment
	}
	return segment + " where " + br.Filter.Words()
}

// timeLeft says an estimate the way people say it: "about 5 minutes".
func timeLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return "almost done"
	case d < time.Minute:
		return "less than a minute"
	}
	return "about " + segmentbot.Duration(d.Round(time.Minute))
}

// reportCard is the final report: the status, the counts, why copies did
// not go out, and the link to the file with every recipient.
func reportCard(br *segmentbot.Broadcast, segment, deliveriesURL string) segmentbot.Message {
	msg := segmentbot.Message{
		Title: br.Name + ": " + segmentbot.BroadcastStatusText(br.Status),
		Facts: []segmentbot.Fact{
			{Name: "Segment", Value: addressees(segment, br)},
			{Name: "Recipients", Value: segmentbot.Count(br.Audience)},
			{Name: "Sent", Value: segmentbot.Count(br.Sent)},
			{Name: "Failed", Value: segmentbot.Count(br.Failed)},
			{Name: "Skipped (opted out)", Value: segmentbot.Count(br.Skipped)},
		},
		Buttons: []segmentbot.Button{{Title: "Download deliveries.csv", URL: deliveriesURL}},
	}
	if br.Status == segmentbot.BroadcastCancelled {
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Not sent (cancelled)", Value: segmentbot.Count(br.Pending)})
	}
	if br.StartedAt != nil && br.FinishedAt != nil {
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Took", Value: took(br.FinishedAt.Sub(*br.StartedAt))})
	}
	var lines []string
	switch br.Status {
	case segmentbot.BroadcastSent:
		lines = append(lines, "Every copy went out.")
	case segmentbot.BroadcastCancelled:
		lines = append(lines, fmt.Sprintf("Cancelled while sending: %s never got it.", people(br.Pending)))
	case segmentbot.BroadcastFailed:
		lines = append(lines, "No copy went out.")
	}
	if why := failureLines(br.FailedByReason); len(why) > 0 {
		lines = append(lines, "Why copies did not go out:")
		lines = append(lines, why...)
	}
	msg.Text = strings.Join(lines, "\n")
	return msg
}

// failureLines lists every failure reason in words with its count, in
// the order of segmentbot.DeliveryReasons, unknown reasons last.
func failureLines(byReason map[string]int64) []string {
	var lines []string
	seen := map[string]bool{}
	for _, r := range segmentbot.DeliveryReasons {
		if n := byReason[r]; n > 0 {
			lines = append(lines, fmt.Sprintf("• %s: %s", segmentbot.DeliveryReasonText(r), segmentbot.Count(n)))
		}
		seen[r] = true
	}
	for r, n := range byReason {
		if !seen[r] && n > 0 {
			lines = append(lines, fmt.Sprintf("• %s: %s", segmentbot.DeliveryReasonText(r), segmentbot.Count(n)))
		}
	}
	return lines
}

// took says how long sending took: "11 seconds", "1 hour 5 minutes".
func took(d time.Duration) string {
	if d < 500*time.Millisecond {
		return "under a second"
	}
	if d >= time.Minute {
		d = d.Round(time.Minute)
	}
	return segmentbot.Duration(d)
}
