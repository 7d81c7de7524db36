package evaluator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
)

// NationalSource evaluates every academy with the same files (the national default set
// embedded in the binary, or a directory given on the command line), compiled once per academy
// so that each set knows its academy.
type NationalSource struct {
	files   []policy.File
	version string
	opts    []policy.Option

	mu   sync.Mutex
	sets map[string]*policy.Set
}

// NewNationalSource returns a source for files; its version is derived from their content.
func NewNationalSource(files []policy.File, opts ...policy.Option) *NationalSource {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.Path))
		h.Write([]byte{0})
		h.Write(f.Text)
		h.Write([]byte{0})
	}
	v := "national-" + hex.EncodeToString(h.Sum(nil))[:12]
	return &NationalSource{files: files, version: v, opts: opts, sets: map[string]*policy.Set{}}
}

// Version is the version of the files.
func (n *NationalSource) Version() string { return n.version }

// Set compiles the files for the academy once and returns the compiled set.
func (n *NationalSource) Set(ctx context.Context, academy campaign.Academy) (*policy.Set, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.sets[academy.Code]; ok {
		return s, nil
	}
	opts := append([]policy.Option{policy.WithAcademy(academy.Code), policy.WithVersion(n.version)}, n.opts...)
	s, err := policy.Compile(ctx, n.files, opts...)
	if err != nil {
		return nil, fmt.Errorf("compile national policies for %s: %w", academy.Code, err)
	}
	n.sets[academy.Code] = s
	return s, nil
}
