package authoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
)

// PlaygroundRequest names what to evaluate: a school of the academy (its latest snapshot), or
// a whole policy input given by the author (docs/design.md, "The policy input").
type PlaygroundRequest struct {
	UAI   string          `json:"uai,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	Now   time.Time       `json:"now,omitzero"` // default: now (a school's input only)
}

// Playground is one evaluation shown in full: the input the policies saw and the report.
// Exemptions are not applied: the playground shows what the rules say.
type Playground struct {
	Version    string            `json:"version"`
	Input      json.RawMessage   `json:"input"`
	Report     *readiness.Report `json:"report"`
	DurationMS float64           `json:"duration_ms"`
}

// inputDoc is the policy input as readiness builds it.
type inputDoc struct {
	UAI        string          `json:"uai"`
	SchoolYear int             `json:"school_year"`
	Now        string          `json:"now"`
	Today      string          `json:"today"`
	School     inputSchool     `json:"school"`
	Facts      json.RawMessage `json:"facts"`
}

type inputSchool struct {
	UAI         string `json:"uai"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	UsesGroups  *bool  `json:"uses_groups"`
	Academy     string `json:"academy"`
	Departement string `json:"departement"`
}

// Evaluate evaluates a draft (draftID) or the set in force (draftID 0) on one school or input.
// A rule that exceeds its time budget ends in error, named in the report.
func (s *Service) Evaluate(ctx context.Context, scope access.Scope, academy campaign.Academy, draftID int64, req PlaygroundRequest) (*Playground, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return nil, fmt.Errorf("evaluate policies of %s: %w", academy.Code, apperr.ErrNotFound)
	}
	var set *policy.Set
	var err error
	if draftID != 0 {
		d, err := s.st.PolicyDraftByID(ctx, scope, academy.ID, draftID)
		if err != nil {
			return nil, err
		}
		if set, err = s.contentSet(ctx, academy, d.Content, draftLabel(d)); err != nil {
			return nil, err
		}
	} else if set, _, err = s.source.Published(ctx, academy); err != nil {
		return nil, err
	}
	eng, err := s.engine(set)
	if err != nil {
		return nil, err
	}
	var rreq readiness.Request
	var now time.Time
	switch {
	case req.UAI != "" && len(req.Input) > 0:
		return nil, apperr.Invalid("give a school (uai) or an input, not both")
	case req.UAI != "":
		rreq, now, err = s.schoolRequest(ctx, scope, academy, req)
	case len(req.Input) > 0:
		rreq, now, err = inputRequest(academy, req.Input)
	default:
		return nil, apperr.Invalid("give a school (uai) or an input")
	}
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rep, err := eng.Evaluate(ctx, rreq, now)
	if err != nil {
		return nil, err
	}
	local := now.In(s.opts.Timing.Location)
	doc := inputDoc{UAI: rreq.School.UAI, SchoolYear: rreq.SchoolYear, Now: local.Format(time.RFC3339), Today: local.Format(time.DateOnly),
		School: inputSchool{UAI: rreq.School.UAI, Name: rreq.School.Name, Kind: string(rreq.School.Kind), UsesGroups: rreq.School.UsesGroups,
			Academy: academy.Code, Departement: rreq.School.Departement}, Facts: rreq.Snapshot}
	in, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode policy input: %w", err)
	}
	return &Playground{Version: set.Version(), Input: in, Report: rep, DurationMS: ms(time.Since(start))}, nil
}

func (s *Service) schoolRequest(ctx context.Context, scope access.Scope, academy campaign.Academy, req PlaygroundRequest) (readiness.Request, time.Time, error) {
	uai, err := campaign.ParseUAI(req.UAI)
	if err != nil {
		return readiness.Request{}, time.Time{}, apperr.Invalid("uai: %v", err)
	}
	sc, err := s.st.SchoolByUAI(ctx, scope, uai)
	if err != nil {
		return readiness.Request{}, time.Time{}, err
	}
	if sc.AcademyID != academy.ID {
		return readiness.Request{}, time.Time{}, fmt.Errorf("school %s: %w", uai, apperr.ErrNotFound)
	}
	now := s.instant(req.Now)
	year := campaign.SchoolYearOf(now)
	sn, err := s.st.SnapshotAt(ctx, scope, uai, time.Time{})
	var facts []byte
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		if facts, err = evaluator.EmptySnapshot(uai, year); err != nil {
			return readiness.Request{}, time.Time{}, err
		}
	case err != nil:
		return readiness.Request{}, time.Time{}, err
	default:
		facts = sn.Facts
	}
	return readiness.Request{School: sc, Academy: academy.Code, SchoolYear: year, Snapshot: facts}, now, nil
}

// inputRequest reads an author's policy input.
func inputRequest(academy campaign.Academy, raw json.RawMessage) (readiness.Request, time.Time, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var doc inputDoc
	if err := dec.Decode(&doc); err != nil {
		return readiness.Request{}, time.Time{}, apperr.Invalid("input: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return readiness.Request{}, time.Time{}, apperr.Invalid("input: one JSON object expected")
	}
	if len(doc.Facts) == 0 || !strings.HasPrefix(strings.TrimSpace(string(doc.Facts)), "{") {
		return readiness.Request{}, time.Time{}, apperr.Invalid("input.facts: a fact snapshot object is required")
	}
	now, err := time.Parse(time.RFC3339, doc.Now)
	if err != nil {
		return readiness.Request{}, time.Time{}, apperr.Invalid("input.now: want an RFC 3339 time, got %q", doc.Now)
	}
	if doc.SchoolYear == 0 {
		doc.SchoolYear = campaign.SchoolYearOf(now)
	}
	uai := doc.UAI
	if uai == "" {
		uai = doc.School.UAI
	}
	sc := campaign.School{UAI: uai, Name: doc.School.Name, Kind: campaign.Kind(doc.School.Kind), Departement: doc.School.Departement,
		UsesGroups: doc.School.UsesGroups}
	return readiness.Request{School: sc, Academy: academy.Code, SchoolYear: doc.SchoolYear, Snapshot: doc.Facts}, now, nil
}
