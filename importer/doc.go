// Package importer turns CSV files of emails and ids into segment
// memberships: it downloads files safely, decodes them as a stream
// (encodings, delimiters, header, quoting), normalises every value, and
// drives an import through its phases (staged, resolved, looked up,
// applied), reporting progress and the result in chat.
//
// It must not hold a file in memory, talk to a database other than through
// segmentbot.Store, or know any channel's wire format: it sends neutral
// segmentbot.Messages through segmentbot.Messenger.
package importer
