package handlers

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

const defaultUploadName = "upload.csv"

// importStarted is the 202 answer of POST /v1/segments/{id}/imports.
type importStarted struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

// createImport streams an uploaded CSV file, raw or as multipart field
// "file", into the uploader, capped at MaxCSVBytes. A rule segment takes
// no file: 409 with code rule_segment (segmentbot.ERULESEGMENT), before
// the body is read, as every manual change of its members is answered
// (see manualSegmentParam).
func (s *server) createImport(c *gin.Context) {
	seg, ok := s.manualSegmentParam(c)
	if !ok {
		return
	}
	id, ctx := seg.ID, c.Request.Context()
	if c.Request.ContentLength > s.MaxCSVBytes {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.ETOOLARGE, "The file is larger than %d bytes.", s.MaxCSVBytes))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxCSVBytes)
	body, name, err := uploadedFile(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	imp, err := s.Uploads.StartUpload(ctx, id, body, name)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("start import into segment %d: %w", id, err))
		return
	}
	c.Header("Location", "/v1/imports/"+strconv.FormatInt(imp.ID, 10))
	c.JSON(http.StatusAccepted, importStarted{ID: imp.ID, Status: imp.Status})
}

// uploadedFile finds the file in the request without buffering it: the
// body itself for text/csv, or the part named "file" of a multipart form.
func uploadedFile(c *gin.Context) (io.Reader, string, error) {
	mediaType, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		return nil, "", segmentbot.Errorf(segmentbot.EINVALID, "Send the file with Content-Type text/csv, or as multipart/form-data field \"file\".")
	}
	switch mediaType {
	case "text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "application/octet-stream":
		return c.Request.Body, uploadName(c.Query("file_name")), nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, "", segmentbot.Errorf(segmentbot.EINVALID, "The multipart body has no boundary.")
		}
		mr, err := c.Request.MultipartReader()
		if err != nil {
			return nil, "", segmentbot.Errorf(segmentbot.EINVALID, "The multipart body cannot be read: %s.", err)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil, "", segmentbot.Errorf(segmentbot.EINVALID, "The form has no field \"file\".")
			} else if err != nil {
				if codeOf(err) == segmentbot.ETOOLARGE {
					return nil, "", err
				}
				return nil, "", segmentbot.Errorf(segmentbot.EINVALID, "The multipart body cannot be read: %s.", err)
			}
			if part.FormName() == "file" {
				return part, uploadName(part.FileName()), nil
			}
		}
	}
	return nil, "", segmentbot.Errorf(segmentbot.EINVALID, "Content-Type %s is not accepted: send text/csv, or multipart/form-data with field \"file\".", mediaType)
}

func uploadName(name string) string {
	if name == "" {
		return defaultUploadName
	}
	return name
}

// importView is an import as GET /v1/imports/{id} shows it (DESIGN §3).
type importView struct {
	ID             int64            `json:"id"`
	SegmentID      int64            `json:"segment_id"`
	Status         string           `json:"status"`
	FileName       string           `json:"file_name"`
	Error          string           `json:"error,omitempty"`
	Total          int64            `json:"total"`
	Added          int64            `json:"added"`
	AlreadyMember  int64            `json:"already_member"`
	SkippedOptOut  int64            `json:"skipped_opted_out"`
	Duplicates     int64            `json:"duplicates"`
	Failed         int64            `json:"failed"`
	FailedByReason map[string]int64 `json:"failed_by_reason"`
	// AttributesUpdated counts the users whose attributes the file's
	// other columns added or changed (DESIGN §8).
	AttributesUpdated int64      `json:"attributes_updated"`
	CreatedAt         time.Time  `json:"created_at"`
	StartedAt         *time.Time `json:"started_at"`
	FinishedAt        *time.Time `json:"finished_at"`
}

func viewImport(imp *segmentbot.Import) importView {
	byReason := imp.FailedByReason
	if byReason == nil {
		byReason = map[string]int64{}
	}
	return importView{
		ID: imp.ID, SegmentID: imp.SegmentID, Status: imp.Status, FileName: imp.FileName, Error: imp.Error,
		Total: imp.Total, Added: imp.Added, AlreadyMember: imp.AlreadyMember, SkippedOptOut: imp.SkippedOptOut,
		Duplicates: imp.Duplicates, Failed: imp.Failed, FailedByReason: byReason, AttributesUpdated: imp.AttributesUpdated,
		CreatedAt: imp.CreatedAt, StartedAt: imp.StartedAt, FinishedAt: imp.FinishedAt,
	}
}

func (s *server) getImport(c *gin.Context) {
	if imp, ok := s.importParam(c); ok {
		c.JSON(http.StatusOK, viewImport(imp))
	}
}

func (s *server) importReport(c *gin.Context) {
	if imp, ok := s.importParam(c); ok {
		s.reportCSV(c, imp, false)
	}
}

// reportCSV streams the report of imp as row,value,outcome,reason.
func (s *server) reportCSV(c *gin.Context, imp *segmentbot.Import, attachment bool) {
	name := fileName("import-"+strconv.FormatInt(imp.ID, 10), "report")
	s.streamCSV(c, name, attachment, []string{"row", "value", "outcome", "reason"}, func(w *csvWriter) error {
		err := s.Store.EachImportRow(c.Request.Context(), imp.ID, func(r *segmentbot.ImportRow) error {
			return w.Write(strconv.FormatInt(r.Row, 10), r.Value, r.Outcome, r.Reason)
		})
		if err != nil {
			return fmt.Errorf("stream report of import %d: %w", imp.ID, err)
		}
		return nil
	})
}
