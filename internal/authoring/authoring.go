// Package authoring owns the workflow that makes changing an academy's readiness rules safe:
// drafts owned by an author, checked on every save (compile errors with positions, strict
// mode, lint, Rego tests with coverage), an impact preview that evaluates the draft and the
// published version over every school's latest snapshot and diffs them, publication behind
// those gates with its summary in the audit log, rollback, a playground for one school, and
// OPA bundle export and import. It also serves each academy's published set to the evaluator
// (Source). The HTTP handlers and the web editor call this package; it holds no HTTP.
package authoring

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
)

// Options configure a Service.
type Options struct {
	Timing        readiness.Timing // zero: readiness.DefaultTiming()
	Workers       int              // evaluation workers of a preview; 0: GOMAXPROCS
	PreviewBudget time.Duration    // a whole preview; default 2 minutes
	EvalTimeout   time.Duration    // one school's evaluation; default policy.DefaultTimeout
	TestTimeout   time.Duration    // one Rego test; default 10 s
	Now           func() time.Time // nil: time.Now
}

func (o *Options) defaults() {
	if o.Timing == (readiness.Timing{}) {
		o.Timing = readiness.DefaultTiming()
	}
	if o.PreviewBudget <= 0 {
		o.PreviewBudget = 2 * time.Minute
	}
	if o.EvalTimeout <= 0 {
		o.EvalTimeout = policy.DefaultTimeout
	}
	if o.TestTimeout <= 0 {
		o.TestTimeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Service runs the authoring workflow. It is safe for concurrent use.
type Service struct {
	st     *store.Store
	source *Source
	log    *slog.Logger
	opts   Options

	mu      sync.Mutex
	sets    map[string]*policy.Set // compiled drafts and versions, by content digest
	order   []string               // insertion order of sets, to bound the cache
	engines map[*policy.Set]*readiness.Engine
	// reports are the check reports of recent contents, by academy and digest.
	reports     map[string]*CheckReport
	reportOrder []string
}

// maxCachedSets bounds the compiled sets a Service keeps (a compiled national set is a few MB).
const maxCachedSets = 8

// New returns a Service over the store; source gives the published sets and the national
// modules.
func New(st *store.Store, source *Source, log *slog.Logger, opts Options) *Service {
	opts.defaults()
	return &Service{st: st, source: source, log: log, opts: opts, sets: map[string]*policy.Set{},
		engines: map[*policy.Set]*readiness.Engine{}, reports: map[string]*CheckReport{}}
}

// Source returns the source of published sets the service uses.
func (s *Service) Source() *Source { return s.source }

// Limits of an academy's content.
const (
	MaxFiles          = 500
	MaxFileBytes      = 256 << 10
	MaxContentBytes   = 4 << 20
	MaxOverridesBytes = 256 << 10
)

var filePath = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\.rego$`)

// ValidateContent checks the shape of an academy's content (paths, sizes); what the Rego says
// is the check's business.
func ValidateContent(c store.PolicyContent) error {
	if len(c.Files) > MaxFiles {
		return apperr.Invalid("%d files: at most %d", len(c.Files), MaxFiles)
	}
	total := 0
	for p, text := range c.Files {
		if !filePath.MatchString(p) || strings.Contains(p, "..") {
			return apperr.Invalid("file path %q: want a relative path of letters, digits, _ . - ending in .rego", p)
		}
		if len(text) > MaxFileBytes {
			return apperr.Invalid("file %s is larger than %d KiB", p, MaxFileBytes>>10)
		}
		total += len(text)
	}
	if total > MaxContentBytes {
		return apperr.Invalid("files larger than %d MiB in all", MaxContentBytes>>20)
	}
	b, err := json.Marshal(c.Overrides)
	if err != nil {
		return apperr.Invalid("overrides are not JSON: %v", err)
	}
	if len(b) > MaxOverridesBytes {
		return apperr.Invalid("overrides larger than %d KiB", MaxOverridesBytes>>10)
	}
	return nil
}

// Digest identifies a content with the national modules it is combined with.
func Digest(national string, c store.PolicyContent) string {
	h := sha256.New()
	h.Write([]byte(national))
	h.Write([]byte{0})
	paths := make([]string, 0, len(c.Files))
	for p := range c.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write([]byte(c.Files[p]))
		h.Write([]byte{0})
	}
	o, _ := json.Marshal(c.Overrides) // maps marshal with sorted keys
	h.Write(o)
	return hex.EncodeToString(h.Sum(nil))
}

// compiled returns the set of a content, compiled once per digest and academy.
func (s *Service) compiled(ctx context.Context, academy campaign.Academy, c store.PolicyContent, label string) (*policy.Set, error) {
	key := academy.Code + "/" + label + "/" + Digest(s.source.NationalVersion(), c)
	s.mu.Lock()
	set, ok := s.sets[key]
	s.mu.Unlock()
	if ok {
		return set, nil
	}
	set, err := s.source.compile(ctx, academy, c, label, s.opts.EvalTimeout)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sets[key]; !ok {
		s.sets[key] = set
		s.order = append(s.order, key)
		for len(s.order) > maxCachedSets {
			old := s.sets[s.order[0]]
			delete(s.sets, s.order[0])
			delete(s.engines, old)
			s.order = s.order[1:]
		}
	}
	return s.sets[key], nil
}

// engine returns the readiness engine of a set.
func (s *Service) engine(set *policy.Set) (*readiness.Engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.engines[set]; ok {
		return e, nil
	}
	e, err := readiness.NewEngine(set, readiness.WithTiming(s.opts.Timing), readiness.WithLogger(s.log))
	if err != nil {
		return nil, err
	}
	if len(s.engines) > 4*maxCachedSets {
		clear(s.engines) // published sets come and go; rebuilding an engine is cheap
	}
	s.engines[set] = e
	return e, nil
}

func draftLabel(d store.PolicyDraft) string { return fmt.Sprintf("draft-%d-r%d", d.ID, d.Revision) }

func versionLabel(academy campaign.Academy, number int, national string) string {
	return fmt.Sprintf("%s-v%d+%s", academy.Code, number, national)
}
