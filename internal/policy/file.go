package policy

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// File is one Rego source file of a policy set.
type File struct {
	// Path is slash-separated and unique in the set, e.g. "readiness/sts/divisions_present.rego";
	// problems and coverage name modules by it.
	Path string
	Text []byte
}

// IsTest tells whether the file holds Rego tests (*_test.rego): tests are compiled for
// RunTests only, never evaluated against schools.
func (f File) IsTest() bool { return strings.HasSuffix(f.Path, "_test.rego") }

// LoadFS reads every .rego file under dir (recursively) of fsys, in path order. Paths in the
// result keep dir as prefix.
func LoadFS(fsys fs.FS, dir string) ([]File, error) {
	var files []File
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".rego" {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: p, Text: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load policies from %s: %w", dir, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}
