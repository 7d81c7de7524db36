package httpapi

import (
	"encoding/json"
	"strings"

	"github.com/vigie-edu/vigie/internal/policy"
)

// diffFile is the line difference of one module (or of the configuration overrides) between
// two versions of a policy set, as the version history shows it.
type diffFile struct {
	Path    string
	Added   int
	Removed int
	Lines   []diffLine // changed lines with two lines of context; a "…" line between hunks
}

type diffLine struct {
	Kind string // "+", "-", " " or "…"
	Text string
	Line int // line number in the newer version (0 for removed lines and gaps)
}

// diffSets compares two sets module by module, then their overrides.
func diffSets(before, after []policy.File, beforeOver, afterOver map[string]any) []diffFile {
	old := map[string]string{}
	for _, f := range before {
		old[f.Path] = string(f.Text)
	}
	seen := map[string]bool{}
	var out []diffFile
	for _, f := range after {
		seen[f.Path] = true
		if d, ok := diffText(f.Path, old[f.Path], string(f.Text)); ok {
			out = append(out, d)
		}
	}
	for _, f := range before {
		if !seen[f.Path] {
			if d, ok := diffText(f.Path, string(f.Text), ""); ok {
				out = append(out, d)
			}
		}
	}
	if d, ok := diffText("configuration (surcharges)", jsonText(beforeOver), jsonText(afterOver)); ok {
		out = append(out, d)
	}
	return out
}

func jsonText(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return ""
	}
	return string(b) + "\n"
}

// maxDiffCells bounds the work of one module's diff (lines before × lines after); past it the
// module is shown as replaced.
const maxDiffCells = 4_000_000

// diffText computes a line diff by longest common subsequence and keeps two lines of context.
func diffText(path, a, b string) (diffFile, bool) {
	if a == b {
		return diffFile{}, false
	}
	al, bl := splitLines(a), splitLines(b)
	var ops []diffLine
	if len(al)*len(bl) > maxDiffCells {
		for _, l := range al {
			ops = append(ops, diffLine{Kind: "-", Text: l})
		}
		for i, l := range bl {
			ops = append(ops, diffLine{Kind: "+", Text: l, Line: i + 1})
		}
	} else {
		ops = lcsDiff(al, bl)
	}
	d := diffFile{Path: path}
	keep := make([]bool, len(ops))
	for i, op := range ops {
		if op.Kind == " " {
			continue
		}
		if op.Kind == "+" {
			d.Added++
		} else {
			d.Removed++
		}
		for j := max(0, i-2); j <= min(len(ops)-1, i+2); j++ {
			keep[j] = true
		}
	}
	gap := false
	for i, op := range ops {
		if !keep[i] {
			gap = true
			continue
		}
		if gap && len(d.Lines) > 0 {
			d.Lines = append(d.Lines, diffLine{Kind: "…"})
		}
		gap = false
		d.Lines = append(d.Lines, op)
	}
	return d, true
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func lcsDiff(a, b []string) []diffLine {
	n, m := len(a), len(b)
	// lcs[i][j] is the length of the LCS of a[i:] and b[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, diffLine{Kind: " ", Text: b[j], Line: j + 1})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			out = append(out, diffLine{Kind: "+", Text: b[j], Line: j + 1})
			j++
		default:
			out = append(out, diffLine{Kind: "-", Text: a[i]})
			i++
		}
	}
	return out
}
