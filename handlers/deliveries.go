package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// broadcastParam finds the broadcast named by the :id parameter, with its
// counts; on failure it has written the error and returns false.
func (s *server) broadcastParam(c *gin.Context) (*segmentbot.Broadcast, bool) {
	id, err := idParam(c, "id", "Broadcast")
	if err == nil {
		var b *segmentbot.Broadcast
		if b, err = s.Store.FindBroadcastByID(c.Request.Context(), id); err == nil {
			return b, true
		}
		err = fmt.Errorf("find broadcast %d: %w", id, err)
	}
	writeError(c, s.log, err)
	return nil, false
}

// getBroadcast answers GET /v1/broadcasts/{id} (DESIGN §3).
func (s *server) getBroadcast(c *gin.Context) {
	if b, ok := s.broadcastParam(c); ok {
		if b.FailedByReason == nil {
			b.FailedByReason = map[string]int64{}
		}
		c.JSON(http.StatusOK, b)
	}
}

// broadcastDeliveries answers GET /v1/broadcasts/{id}/deliveries.csv.
func (s *server) broadcastDeliveries(c *gin.Context) {
	if b, ok := s.broadcastParam(c); ok {
		s.deliveriesCSV(c, b, false)
	}
}

// deliveriesCSV streams one row per recipient of b as
// user_id,name,email,status,reason,sent_at, escaped like every download.
func (s *server) deliveriesCSV(c *gin.Context, b *segmentbot.Broadcast, attachment bool) {
	name := fileName("broadcast-"+strconv.FormatInt(b.ID, 10), "deliveries")
	header := []string{"user_id", "name", "email", "status", "reason", "sent_at"}
	s.streamCSV(c, name, attachment, header, func(w *csvWriter) error {
		err := s.Store.EachDelivery(c.Request.Context(), b.ID, func(d *segmentbot.Delivery) error {
			sent := ""
			if d.SentAt != nil {
				sent = d.SentAt.UTC().Format(time.RFC3339)
			}
			return w.Write(strconv.FormatInt(d.UserID, 10), d.Name, d.Email, d.Status, d.Reason, sent)
		})
		if err != nil {
			return fmt.Errorf("stream deliveries of broadcast %d: %w", b.ID, err)
		}
		return nil
	})
}
