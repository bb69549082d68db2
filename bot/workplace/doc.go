// Package workplace is the Workplace from Meta / Facebook Messenger channel.
// It answers the webhook verification, checks webhook signatures, turns
// webhook events into segmentbot.Events for the bot, sends the bot's replies
// and proactive messages through the Send API, and looks members up in the
// Workplace Graph (segmentbot.Directory).
//
// It must not decide anything: what an event means is the bot's job, how a
// message looks is the cards package's, and what is kept is the store's. It
// must never parse a webhook body before its signature has been verified,
// and never take the acting user from anything but the signed sender id.
package workplace
