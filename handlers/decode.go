package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// decodeJSON reads a JSON object into v, strictly: one object, no unknown
// fields, the right types. Its errors say what is wrong in the client's
// terms.
func (s *server) decodeJSON(c *gin.Context, v any) error {
	_, err := s.decodeJSONBody(c, v)
	return err
}

// decodeJSONBody is decodeJSON that also returns the body, for a handler
// that must tell a field sent as null from one left out.
func (s *server) decodeJSONBody(c *gin.Context, v any) ([]byte, error) {
	body, err := readBody(c, s.MaxBody)
	if err != nil {
		return nil, err
	}
	return body, decodeStrict(body, v)
}

// decodeStrict is decodeJSON's reading of body into v.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return segmentbot.Errorf(segmentbot.EINVALID, "The request body must be a JSON object.")
	}
	if segmentbot.ContainsNUL(body) {
		return segmentbot.Errorf(segmentbot.EINVALID, "The request body holds a NUL character (\\u0000), which no field may contain.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return segmentbot.Errorf(segmentbot.EINVALID, "The request body must hold one JSON object and nothing after it.")
	}
	return nil
}

// jsonError turns a decoding error into a message for the client.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return segmentbot.Errorf(segmentbot.EINVALID, "The request body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return segmentbot.Errorf(segmentbot.EINVALID, "The request body must be a JSON object.")
		}
		return segmentbot.Errorf(segmentbot.EINVALID, "Field %q must be %s, not %s.", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return segmentbot.Errorf(segmentbot.EINVALID, "The request body is cut off before the JSON ends.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return segmentbot.Errorf(segmentbot.EINVALID, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return segmentbot.Errorf(segmentbot.EINVALID, "The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// idParam reads a positive integer path parameter.
func idParam(c *gin.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id < 1 {
		return 0, segmentbot.Errorf(segmentbot.EINVALID, "%s id %q is not a positive whole number.", what, c.Param(name))
	}
	return id, nil
}

// segmentParam finds the segment named by the :id parameter; on failure
// it has written the error and returns false.
func (s *server) segmentParam(c *gin.Context) (*segmentbot.Segment, bool) {
	id, err := idParam(c, "id", "Segment")
	if err == nil {
		var seg *segmentbot.Segment
		if seg, err = s.Store.FindSegmentByID(c.Request.Context(), id); err == nil {
			return seg, true
		}
		err = fmt.Errorf("find segment %d: %w", id, err)
	}
	writeError(c, s.log, err)
	return nil, false
}

// manualSegmentParam is segmentParam for a call that changes the members
// by hand (an import, an add or a removal): a rule segment, whose members
// its rule decides, is answered 409 with code rule_segment.
func (s *server) manualSegmentParam(c *gin.Context) (*segmentbot.Segment, bool) {
	seg, ok := s.segmentParam(c)
	if !ok {
		return nil, false
	}
	if err := seg.CheckManual(); err != nil {
		writeError(c, s.log, err)
		return nil, false
	}
	return seg, true
}

// importParam finds the import named by the :id parameter; on failure it
// has written the error and returns false.
func (s *server) importParam(c *gin.Context) (*segmentbot.Import, bool) {
	id, err := idParam(c, "id", "Import")
	if err == nil {
		var imp *segmentbot.Import
		if imp, err = s.Store.FindImportByID(c.Request.Context(), id); err == nil {
			return imp, true
		}
		err = fmt.Errorf("find import %d: %w", id, err)
	}
	writeError(c, s.log, err)
	return nil, false
}
