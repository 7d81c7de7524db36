package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/readiness"
)

// writeSchool generates a school's export files and returns their paths and the truth.
func writeSchool(t *testing.T, spec fixture.SchoolSpec) ([]string, fixture.Truth) {
	t.Helper()
	s, err := fixture.NewSchool(spec)
	require.NoError(t, err)
	dir := t.TempDir()
	m, err := fixture.WriteSchool(dir, s)
	require.NoError(t, err)
	paths := make([]string, 0, len(m))
	for _, e := range m {
		paths = append(paths, filepath.Join(dir, filepath.FromSlash(e.Path)))
	}
	return paths, s.Truth()
}

func TestCheckGeneratedSchools(t *testing.T) {
	now := fixture.DefaultNow
	tests := []struct {
		name string
		spec fixture.SchoolSpec
		exit int
	}{
		{"clean lycée", fixture.SchoolSpec{Seed: 1, Now: now, Pupils: 900}, 0},
		{"clean collège", fixture.SchoolSpec{Seed: 2, Now: now, Kind: campaign.KindCollege}, 0},
		{"empty groups and absent pupils", fixture.SchoolSpec{Seed: 3, Now: now, Pupils: 800,
			Defects: fixture.Defects{EmptyGroups: 4, PupilsAbsentFromLinks: 350, MissingPP: 1}}, 1},
		{"structure not exported, duplicates, left pupils", fixture.SchoolSpec{Seed: 4, Now: now, Pupils: 800,
			Defects: fixture.Defects{GroupsNotExported: 2, DivisionsNotExported: 1, DuplicateINE: 2, DuplicateIdentity: 1, MissingINE: 3}}, 1},
		{"ENT behind", fixture.SchoolSpec{Seed: 5, Now: now, Pupils: 800, Kind: campaign.KindLP,
			Defects: fixture.Defects{ENTEmptyGroups: 2, ENTEmptyClasses: 1, ENTDivisionsWithoutPP: 2, ENTWithoutTeacherLinks: 2}}, 1},
		{"stale SIECLE, no links", fixture.SchoolSpec{Seed: 6, Now: now, Pupils: 800, Defects: fixture.Defects{StaleSIECLE: true, NoLinks: true}}, 1},
		{"carried-over groups, links before STS", fixture.SchoolSpec{Seed: 7, Now: now, Pupils: 800,
			Defects: fixture.Defects{CarriedOverGroups: 3, LinksBeforeSTS: true, GroupHeadcountOff: 2, DivisionHeadcountOff: 2}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths, truth := writeSchool(t, tt.spec)
			var out, errb bytes.Buffer
			args := append([]string{"check", "--format", "json", "--now", now.Format(time.RFC3339)}, paths...)
			code := run(context.Background(), args, envFrom(nil), &out, &errb)
			require.Equal(t, tt.exit, code, "stderr: %s", errb.String())
			var rep readiness.Report
			require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
			assert.Equal(t, truth.UAI, rep.UAI)
			assert.Equal(t, truth.Status, string(rep.Status))
			for id, want := range truth.Checks {
				got, ok := rep.Check(id)
				require.True(t, ok, "check %s missing", id)
				assert.Equal(t, string(want.Status), string(got.Status), "%s: %s", id, got.Reason)
				if want.Status == fixture.StatusFail {
					codes := make([]string, 0, len(got.Items))
					for _, it := range got.Items {
						codes = append(codes, it.Code)
					}
					sort.Strings(codes)
					assert.Equal(t, want.Items, codes, "%s items", id)
				}
			}
			// The same in French for a school admin.
			out.Reset()
			code = run(context.Background(), append([]string{"check", "--now", now.Format(time.RFC3339)}, paths...), envFrom(nil), &out, &errb)
			require.Equal(t, tt.exit, code)
			assert.Contains(t, out.String(), truth.UAI)
		})
	}
}

func TestCheckBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "sts_emp_0790029C_2026.xml")
	require.NoError(t, os.WriteFile(broken, []byte(`<?xml version="1.0" encoding="ISO-8859-15"?><STS_EDT><PARAMETRES><UAJ CODE="0790029C">`), 0o600))
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"check", broken}, envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), "sts_emp_0790029C_2026.xml")

	paths, _ := writeSchool(t, fixture.SchoolSpec{Seed: 9, Now: fixture.DefaultNow, UAI: "0790029C", Kind: campaign.KindCollege})
	errb.Reset()
	assert.Equal(t, 2, run(context.Background(), append([]string{"check", "--uai", "0860001J"}, paths...), envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), "0860001J", "names the expected school")
	assert.Contains(t, errb.String(), "0790029C", "and the school of the file")

	assert.Equal(t, 2, run(context.Background(), []string{"check"}, envFrom(nil), &out, &errb))
	assert.Equal(t, 2, run(context.Background(), []string{"check", "--format", "xml", broken}, envFrom(nil), &out, &errb))
	assert.Equal(t, 2, run(context.Background(), []string{"check", filepath.Join(dir, "absent.xml")}, envFrom(nil), &out, &errb))

	bad := filepath.Join(dir, "policies")
	require.NoError(t, os.MkdirAll(bad, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(bad, "x.rego"), []byte("package vigie.checks.x\n\nresult := {"), 0o600))
	errb.Reset()
	assert.Equal(t, 2, run(context.Background(), append([]string{"check", "--policies", bad}, paths...), envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), "x.rego")
}
