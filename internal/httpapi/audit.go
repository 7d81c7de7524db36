package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/store"
)

type auditJSON struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Academy    int64           `json:"academy_id,omitempty"`
	UAI        string          `json:"uai,omitempty"`
	Actor      string          `json:"actor"`
	ActorID    int64           `json:"actor_id,omitempty"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	RequestID  string          `json:"request_id,omitempty"`
}

func (s *Server) audit(c *echo.Context, academyID int64) error {
	g := grantOf(c)
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	f := store.AuditFilter{AcademyID: academyID, Action: c.QueryParam("action"), TargetType: c.QueryParam("target_type"),
		Limit: p.limit(), Offset: p.offset()}
	if f.UAI, err = uaiParam(c, "uai"); err != nil {
		return err
	}
	if f.Since, err = timeParam(c, "since"); err != nil {
		return err
	}
	entries, total, err := s.deps.Store.ListAudit(c.Request().Context(), g.scope, f)
	if err != nil {
		return err
	}
	items := make([]auditJSON, len(entries))
	for i, e := range entries {
		items[i] = auditJSON{ID: e.ID, At: e.At, Academy: e.AcademyID, UAI: e.UAI, Actor: e.Actor, ActorID: e.ActorID,
			Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Before: orNull(e.Before), After: orNull(e.After),
			RequestID: e.RequestID}
	}
	return c.JSON(http.StatusOK, newList(items, total, p))
}

func orNull(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("null")
	}
	return m
}

// academyAudit lists the audit log of one academy (supervisors, platform administrators).
func (s *Server) academyAudit(c *echo.Context) error { return s.audit(c, grantOf(c).academy.ID) }

// platformAudit lists the whole audit log (platform administrators).
func (s *Server) platformAudit(c *echo.Context) error { return s.audit(c, 0) }
