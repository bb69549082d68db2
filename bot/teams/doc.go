// Package teams is the Microsoft Teams channel: it authenticates Bot
// Framework requests, turns activities into segmentbot events, replies and
// sends proactive messages through the Bot Connector, loads team rosters and
// looks users up in Microsoft Graph.
//
// It builds on github.com/infracloudio/msbotbuilder-go for the activity
// schema and the adapter, replacing the library's token validator and
// connector client with safer ones through the adapter's own fields. It
// decides nothing about segments and runs no activity bookkeeping: every
// event goes to the bot's one entrance (segmentbot.Receiver), which claims
// it, stores its sender and handles it once. It must not reach into the
// store beyond the UserService it is given for rosters.
package teams
