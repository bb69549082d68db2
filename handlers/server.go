package handlers

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

// server carries the dependencies into the route handlers.
type server struct {
	Deps
	log *slog.Logger
}

// New returns the HTTP handler of the whole service.
func New(d Deps) http.Handler {
	return newEngine(d)
}

// newEngine builds the Gin engine; tests use it to walk the routes.
func newEngine(d Deps) *gin.Engine {
	if d.MaxBody <= 0 {
		d.MaxBody = DefaultMaxBody
	}
	if d.MaxCSVBytes <= 0 {
		d.MaxCSVBytes = DefaultMaxCSVBytes
	}
	if d.BodyTimeout <= 0 {
		d.BodyTimeout = DefaultBodyTimeout
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &server{Deps: d, log: d.Logger}
	if s.log == nil {
		s.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.ContextWithFallback = true // c.Done() and c.Err() follow the request
	e.Use(s.requestID, s.logRequests, s.countRequests, s.recoverPanics)
	e.NoRoute(func(c *gin.Context) {
		writeError(c, s.log, errNoRoute)
	})

	e.GET("/", home)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.Metrics != nil {
		e.GET("/metrics", s.requireMetricsKey, gin.WrapH(s.Metrics.Handler()))
	}
	if s.Teams != nil {
		e.POST("/api/messages", s.postMessages)
	}
	if s.Workplace != nil {
		e.GET("/webhooks/workplace", s.verifyWebhook)
		e.POST("/webhooks/workplace", s.postWebhook)
	}
	if s.Signer != nil && s.Store != nil {
		e.GET("/downloads/:token", s.download)
	}
	if len(s.APIKeys) > 0 && s.Store != nil {
		s.mountAPI(e.Group("/v1", s.requireKey))
	}
	return e
}

// mountAPI adds the /v1 REST routes (DESIGN §3).
func (s *server) mountAPI(v1 *gin.RouterGroup) {
	v1.GET("/segments", s.listSegments)
	v1.POST("/segments", s.idempotent(s.replaySegment), s.createSegment)
	v1.PATCH("/segments/:id", s.updateSegment)
	v1.DELETE("/segments/:id", s.deleteSegment)
	v1.GET("/segments/:id/members", s.listMembers)
	if s.Members != nil {
		v1.POST("/segments/:id/members", s.addMembers)
		v1.DELETE("/segments/:id/members", s.removeMembers)
	}
	if s.Cards != nil {
		v1.GET("/segments/:id/card", s.segmentCard)
	}
	if s.Uploads != nil {
		v1.POST("/segments/:id/imports", s.createImport)
	}
	v1.GET("/imports/:id", s.getImport)
	v1.GET("/imports/:id/report.csv", s.importReport)
	v1.GET("/broadcasts", s.listBroadcasts)
	v1.POST("/broadcasts", s.idempotent(nil), s.createBroadcast)
	v1.GET("/broadcasts/:id", s.getBroadcast)
	v1.GET("/broadcasts/:id/deliveries.csv", s.broadcastDeliveries)
	v1.DELETE("/broadcasts/:id", s.cancelBroadcast)
	v1.GET("/warnings", s.listWarnings)
	v1.POST("/audience", s.audience)
	v1.GET("/attributes", s.listAttributes)
	v1.GET("/users/:id/events", s.listUserEvents)
}
