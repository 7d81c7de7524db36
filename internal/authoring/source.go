package authoring

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
)

// Source gives each academy's published policy set: its published version compiled once and
// kept while it stays published, or the national defaults when the academy never published.
// It satisfies evaluator.PolicySource. It is safe for concurrent use.
type Source struct {
	st       *store.Store
	national []policy.File
	byPath   map[string]string
	version  string
	log      *slog.Logger
	opts     []policy.Option

	mu        sync.Mutex
	published map[int64]publishedSet // by academy id
	defaults  map[string]*policy.Set // national set by academy code
	compiling map[int64]*sync.Mutex  // one compilation at a time per academy
}

type publishedSet struct {
	versionID int64
	set       *policy.Set
}

// NewSource returns a source over the store with the national readiness files (tests included:
// authors run them); opts are added to every compilation (e.g. policy.WithLogger).
func NewSource(st *store.Store, national []policy.File, log *slog.Logger, opts ...policy.Option) *Source {
	files := append([]policy.File(nil), national...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	h := sha256.New()
	byPath := make(map[string]string, len(files))
	for _, f := range files {
		h.Write([]byte(f.Path))
		h.Write([]byte{0})
		h.Write(f.Text)
		h.Write([]byte{0})
		byPath[f.Path] = string(f.Text)
	}
	return &Source{st: st, national: files, byPath: byPath, version: "national-" + hex.EncodeToString(h.Sum(nil))[:12],
		log: log, opts: opts, published: map[int64]publishedSet{}, defaults: map[string]*policy.Set{},
		compiling: map[int64]*sync.Mutex{}}
}

// NationalVersion names the national modules (a digest of their content).
func (s *Source) NationalVersion() string { return s.version }

// NationalFiles returns the national modules, tests included, by path order.
func (s *Source) NationalFiles() []policy.File { return append([]policy.File(nil), s.national...) }

// Files returns the files of a set: the national modules, each replaced by the academy's file
// of the same path, plus the academy's own.
func (s *Source) Files(c store.PolicyContent) []policy.File {
	out := make([]policy.File, 0, len(s.national)+len(c.Files))
	for _, f := range s.national {
		if text, ok := c.Files[f.Path]; ok {
			f = policy.File{Path: f.Path, Text: []byte(text)}
		}
		out = append(out, f)
	}
	var own []string
	for p := range c.Files {
		if _, national := s.byPath[p]; !national {
			own = append(own, p)
		}
	}
	sort.Strings(own)
	for _, p := range own {
		out = append(out, policy.File{Path: p, Text: []byte(c.Files[p])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Split separates the files of a whole set (an imported bundle) into the academy's content:
// files identical to the national module of the same path are left out.
func (s *Source) Split(files []policy.File) map[string]string {
	own := map[string]string{}
	for _, f := range files {
		if text, ok := s.byPath[f.Path]; ok && text == string(f.Text) {
			continue
		}
		own[f.Path] = string(f.Text)
	}
	return own
}

func (s *Source) compile(ctx context.Context, academy campaign.Academy, c store.PolicyContent, label string, timeout time.Duration) (*policy.Set, error) {
	opts := append([]policy.Option{policy.WithAcademy(academy.Code), policy.WithVersion(label),
		policy.WithConfig(c.Overrides)}, s.opts...)
	if timeout > 0 {
		opts = append(opts, policy.WithTimeout(timeout))
	}
	return policy.Compile(ctx, s.Files(c), opts...)
}

// Set returns the set the academy's schools are evaluated with.
func (s *Source) Set(ctx context.Context, academy campaign.Academy) (*policy.Set, error) {
	set, _, err := s.Published(ctx, academy)
	return set, err
}

// Published returns the academy's published set and the id of its version, 0 for the national
// defaults.
func (s *Source) Published(ctx context.Context, academy campaign.Academy) (*policy.Set, int64, error) {
	scope := access.Academy(academy.ID)
	id, err := s.st.PublishedPolicyVersionID(ctx, scope, academy.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		set, err := s.Defaults(ctx, academy)
		return set, 0, err
	}
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	p, ok := s.published[academy.ID]
	lock := s.compiling[academy.ID]
	if lock == nil {
		lock = &sync.Mutex{}
		s.compiling[academy.ID] = lock
	}
	s.mu.Unlock()
	if ok && p.versionID == id {
		return p.set, id, nil
	}
	lock.Lock()
	defer lock.Unlock()
	s.mu.Lock()
	p, ok = s.published[academy.ID]
	s.mu.Unlock()
	if ok && p.versionID == id {
		return p.set, id, nil
	}
	v, err := s.st.PolicyVersionByID(ctx, scope, academy.ID, id)
	if err != nil {
		return nil, 0, err
	}
	set, err := s.compile(ctx, academy, v.Content, versionLabel(academy, v.Number, s.version), 0)
	if err != nil {
		// A version compiled when it was published; the national modules of this binary may
		// have changed since. Say so loudly rather than evaluate with other rules.
		return nil, 0, fmt.Errorf("compile published policy version %d of %s: %w", v.Number, academy.Code, err)
	}
	s.mu.Lock()
	s.published[academy.ID] = publishedSet{versionID: id, set: set}
	s.mu.Unlock()
	s.log.Info("policy version loaded", "academy", academy.Code, "version", v.Number, "national", s.version)
	return set, id, nil
}

// Defaults returns the national set compiled for the academy.
func (s *Source) Defaults(ctx context.Context, academy campaign.Academy) (*policy.Set, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if set, ok := s.defaults[academy.Code]; ok {
		return set, nil
	}
	set, err := s.compile(ctx, academy, store.PolicyContent{}, s.version, 0)
	if err != nil {
		return nil, fmt.Errorf("compile national policies for %s: %w", academy.Code, err)
	}
	s.defaults[academy.Code] = set
	return set, nil
}
