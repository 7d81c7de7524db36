package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// OverridesRoot is where a bundle carries the academy's configuration overrides:
// data.vigie.overrides, a data.json beside the modules. It is not data.vigie.config, so that
// `opa test` on an exported bundle runs the tests against the national defaults, as Vigie does.
var OverridesRoot = []string{"vigie", "overrides"}

// Bundle is a policy set as an OPA bundle: every Rego file (tests included), the academy's
// configuration overrides, and a manifest with a revision.
type Bundle struct {
	Revision  string
	Files     []File
	Overrides map[string]any
	Metadata  map[string]any // written to the manifest's metadata
}

// Limits of a bundle read from a user.
const (
	MaxBundleFileBytes = 1 << 20 // one file
	MaxBundleBytes     = 8 << 20 // the compressed archive
)

// WriteBundle writes b as a gzipped tar in OPA's bundle format: .manifest (revision,
// metadata), the .rego files at their paths, and data.json with the overrides. The modules are
// written as they are, not reformatted.
func WriteBundle(w io.Writer, b Bundle) error {
	ob := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: b.Revision, Metadata: b.Metadata},
		Data:     map[string]any{},
	}
	ob.Manifest.Init()
	if len(b.Overrides) > 0 {
		ob.Data[OverridesRoot[0]] = map[string]any{OverridesRoot[1]: b.Overrides}
	}
	files := append([]File(nil), b.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		p, err := cleanBundlePath(f.Path)
		if err != nil {
			return err
		}
		ob.Modules = append(ob.Modules, bundle.ModuleFile{URL: "/" + p, Path: "/" + p, RelativePath: "/" + p, Raw: f.Text})
	}
	if err := bundle.NewWriter(w).UseModulePath(true).DisableFormat(true).Write(ob); err != nil {
		return fmt.Errorf("write bundle %s: %w", b.Revision, err)
	}
	return nil
}

// ReadBundle reads a gzipped tar bundle. Modules that do not parse give a *CompileError with
// their positions; an archive that is not a bundle, too large, or whose overrides are not an
// object is apperr.ErrInvalid.
func ReadBundle(r io.Reader) (Bundle, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return Bundle{}, fmt.Errorf("read bundle: %w", err)
	}
	if len(raw) > MaxBundleBytes {
		return Bundle{}, apperr.Invalid("bundle larger than %d MiB", MaxBundleBytes>>20)
	}
	ob, err := bundle.NewCustomReader(bundle.NewTarballLoader(bytes.NewReader(raw))).
		WithSizeLimitBytes(MaxBundleFileBytes).
		WithSkipBundleVerification(true).
		WithProcessAnnotations(true).
		WithRegoVersion(ast.RegoV1).
		Read()
	if err != nil {
		var astErrs ast.Errors
		var one *ast.Error
		if errors.As(err, &astErrs) || errors.As(err, &one) {
			ps := problemsFrom(err, false)
			for i := range ps {
				ps[i].Module = strings.TrimPrefix(ps[i].Module, "/")
			}
			return Bundle{}, newCompileError(ps)
		}
		return Bundle{}, fmt.Errorf("read bundle: %w: %w", apperr.ErrInvalid, err)
	}
	b := Bundle{Revision: ob.Manifest.Revision, Metadata: ob.Manifest.Metadata}
	for _, m := range ob.Modules {
		p, err := cleanBundlePath(m.Path)
		if err != nil {
			return Bundle{}, err
		}
		b.Files = append(b.Files, File{Path: p, Text: m.Raw})
	}
	sort.Slice(b.Files, func(i, j int) bool { return b.Files[i].Path < b.Files[j].Path })
	var v any = ob.Data
	for _, k := range OverridesRoot {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	switch o := v.(type) {
	case nil:
	case map[string]any:
		// OPA decodes numbers as json.Number: give the overrides plain JSON types.
		if b.Overrides, err = normalise(o); err != nil {
			return Bundle{}, fmt.Errorf("read bundle overrides: %w: %w", apperr.ErrInvalid, err)
		}
	default:
		return Bundle{}, apperr.Invalid("data.%s must be an object", strings.Join(OverridesRoot, "."))
	}
	return b, nil
}

// cleanBundlePath makes a module path relative and slash-separated, refusing anything that
// climbs out of the bundle.
func cleanBundlePath(p string) (string, error) {
	c := path.Clean("/" + strings.ReplaceAll(p, "\\", "/"))
	c = strings.TrimPrefix(c, "/")
	if c == "" || c == "." || strings.Contains(p, "..") {
		return "", apperr.Invalid("bundle path %q is not a relative file path", p)
	}
	return c, nil
}
