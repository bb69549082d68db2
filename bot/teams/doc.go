// Package teams is the Microsoft Teams channel: it authenticates Bot
// Framework requests, turns activities into segmentbot events, replies and
// sends proactive messages through the Bot Connector, loads team rosters and
// looks users up in Microsoft Graph.
//
// It builds on github.com/infracloudio/msbotbuilder-go for the activity
// schema and the adapter, replacing the library's token validator and
// connector client with safer ones through the adapter's own fields. It
// decides nothing about segments: every event goes to a segmentbot.Handler,
// and it must not reach into the store beyond the UserService and
// ActivityService it is given.
package teams
