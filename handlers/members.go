package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// MaxEmails is the most emails one add or remove call takes; larger lists
// go through an import.
const MaxEmails = 1000

// memberList is the JSON answer of GET /v1/segments/{id}/members.
type memberList struct {
	Members    []*segmentbot.Member `json:"members"`
	NextCursor string               `json:"next_cursor,omitempty"`
}

// listMembers answers JSON pages, or the whole segment as name,email CSV
// when the client accepts text/csv (name,email,channel_id with
// ?with=channel_id).
func (s *server) listMembers(c *gin.Context) {
	seg, ok := s.segmentParam(c)
	if !ok {
		return
	}
	id, ctx := seg.ID, c.Request.Context()
	if wantsCSV(c) {
		s.membersCSV(c, seg, false, c.Query("with") == "channel_id")
		return
	}
	members, next, err := findPage(c, func(p segmentbot.Page) ([]*segmentbot.Member, error) {
		return s.Store.FindMembers(ctx, id, p)
	}, func(m *segmentbot.Member) int64 { return m.UserID })
	if err != nil {
		writeError(c, s.log, fmt.Errorf("list members of segment %d: %w", id, err))
		return
	}
	c.JSON(http.StatusOK, memberList{Members: members, NextCursor: next})
}

// wantsCSV reports whether the Accept header asks for text/csv before
// JSON.
func wantsCSV(c *gin.Context) bool {
	return c.NegotiateFormat(gin.MIMEJSON, "text/csv") == "text/csv"
}

// membersCSV streams every member of seg as name,email (the contract),
// with a last column channel_id, the id the user is reached by, when
// asked: tools that read exactly name,email keep working.
func (s *server) membersCSV(c *gin.Context, seg *segmentbot.Segment, attachment, channelID bool) {
	name := fileName("segment-"+seg.Name, "members")
	header := []string{"name", "email"}
	if channelID {
		header = append(header, "channel_id")
	}
	s.streamCSV(c, name, attachment, header, func(w *csvWriter) error {
		err := s.Store.EachMember(c.Request.Context(), seg.ID, func(m *segmentbot.Member) error {
			if channelID {
				return w.Write(m.Name, m.Email, m.ChannelID)
			}
			return w.Write(m.Name, m.Email)
		})
		if err != nil {
			return fmt.Errorf("stream members of segment %d: %w", seg.ID, err)
		}
		return nil
	})
}

// emailList is the body of POST and DELETE /v1/segments/{id}/members.
type emailList struct {
	Emails []string `json:"emails"`
}

// emailResult is one email's outcome of an add or remove.
type emailResult struct {
	Email   string `json:"email"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

type emailResults struct {
	Results []emailResult `json:"results"`
}

// addMembers and removeMembers answer a rule segment with 409, code
// rule_segment (segmentbot.ERULESEGMENT), and change nothing: its members
// are the users its rule matches. Imports into it are refused alike.
func (s *server) addMembers(c *gin.Context) {
	s.editMembers(c, s.Members.AddEmails)
}

func (s *server) removeMembers(c *gin.Context) {
	s.editMembers(c, s.Members.RemoveEmails)
}

type editFunc func(ctx context.Context, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error)

func (s *server) editMembers(c *gin.Context, edit editFunc) {
	seg, ok := s.manualSegmentParam(c)
	if !ok {
		return
	}
	id := seg.ID
	var in emailList
	if err := s.decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := checkEmails(in.Emails); err != nil {
		writeError(c, s.log, err)
		return
	}
	rows, err := edit(c.Request.Context(), id, in.Emails, segmentbot.SourceAPI, 0)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("change members of segment %d: %w", id, err))
		return
	}
	out := emailResults{Results: make([]emailResult, 0, len(rows))}
	for _, r := range rows {
		out.Results = append(out.Results, emailResult{Email: r.Value, Outcome: r.Outcome, Reason: r.Reason, Detail: r.Detail})
	}
	c.JSON(http.StatusOK, out)
}

// checkEmails accepts 1 to MaxEmails non-empty strings; whether each is a
// valid address is the editor's call, reported per email.
func checkEmails(emails []string) error {
	switch {
	case len(emails) == 0:
		return segmentbot.Errorf(segmentbot.EINVALID, "Field \"emails\" must list at least one email.")
	case len(emails) > MaxEmails:
		return segmentbot.Errorf(segmentbot.EINVALID, "Field \"emails\" lists %d emails; send at most %d, or import a CSV file.", len(emails), MaxEmails)
	}
	for i, e := range emails {
		if strings.TrimSpace(e) == "" {
			return segmentbot.Errorf(segmentbot.EINVALID, "Email %d of field \"emails\" is empty.", i+1)
		}
	}
	return nil
}
