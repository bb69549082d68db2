// Package scheduler runs the periodic jobs of segmentbot on a robfig/cron
// clock: the lead-time warning check (DESIGN §6), report retention, roster
// refresh and the watch on stuck imports. It also reads the times admins
// type when they schedule a broadcast in chat (ParseWhen).
//
// It is the only package that imports robfig/cron. It decides nothing
// about segments or imports itself: the rule is the store's query, and
// exactly-once delivery rests on the store's unique warning rows and
// leases, which this package must honour (write the warning before the
// send, claim it before sending, mark it after). It must not talk to a
// channel except through segmentbot.Messenger.
package scheduler
