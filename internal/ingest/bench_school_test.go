package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/fixture"
)

// lyceeFiles writes a 2,400-pupil lycée with the fixture and loads its files in memory, as
// uploads (school files, feed files) and the school files as bare XML (for the baseline).
func lyceeFiles(b *testing.B) (*fixture.School, []Upload, []Upload, [][]byte) {
	s, err := fixture.NewSchool(fixture.SchoolSpec{Seed: 1, Pupils: 2400})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	m, err := fixture.WriteSchool(dir, s)
	if err != nil {
		b.Fatal(err)
	}
	var school, feed []Upload
	var xmls [][]byte
	for _, e := range m {
		if e.Kind == fixture.KindSTS && e.SchoolYear != s.Year {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Path)))
		if err != nil {
			b.Fatal(err)
		}
		u := bytesUpload(filepath.Base(e.Path), data)
		u.ModTime = e.ExportedAt
		if e.Kind == fixture.KindENT {
			feed = append(feed, u)
		} else {
			school = append(school, u)
			xmls = append(xmls, unzipped(b, data))
		}
	}
	return s, school, feed, xmls
}

// unzipped returns the XML of a zip's single entry, or data itself.
func unzipped(b *testing.B, data []byte) []byte {
	if !bytes.HasPrefix(data, zipMagic) {
		return data
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	out, err := io.ReadAll(rc)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkLycee reads a 2,400-pupil lycée's files (STS-Web, SIECLE-BEE pupils, structures and
// nomenclature, the links file) and joins them, with its part of the feed read beforehand
// (the feed is read once per academy: BenchmarkFeed), into a snapshot: the work done for each
// school after an import. The baseline is encoding/xml tokenising the same XML.
func BenchmarkLycee(b *testing.B) {
	s, school, feed, xmls := lyceeFiles(b)
	var baseline, baselineCPU time.Duration
	size := 0
	for range 5 {
		start, cpu0 := time.Now(), cpuTime()
		size = 0
		for _, x := range xmls {
			if _, err := tokenize(bytes.NewReader(x)); err != nil {
				b.Fatal(err)
			}
			size += len(x)
		}
		if d := time.Since(start); baseline == 0 || d < baseline {
			baseline = d
		}
		if c := cpuTime() - cpu0; baselineCPU == 0 || c < baselineCPU {
			baselineCPU = c
		}
	}
	opt := Options{UAI: s.UAI, SchoolYear: s.Year}
	f, err := ReadFeed(feed, opt)
	if err != nil {
		b.Fatal(err)
	}
	var snap *fact.Snapshot
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		in := BuildInput{UAI: s.UAI, SchoolYear: s.Year, AsOf: s.Now, ENT: f.Schools[s.UAI]}
		for _, u := range school {
			p, err := Read(u, opt)
			if err != nil {
				b.Fatal(err)
			}
			in.Add(p)
		}
		if snap, err = Build(in); err != nil {
			b.Fatal(err)
		}
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	cpuPerOp := (cpuTime() - cpu0) / time.Duration(b.N)
	b.ReportMetric(float64(cpuPerOp)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(perOp)/float64(baseline), "x-tokenize")
	b.ReportMetric(float64(cpuPerOp)/float64(baselineCPU), "x-tokenize-cpu")
	b.ReportMetric(float64(size)/(1<<20), "xml-MiB")
	b.ReportMetric(float64(snap.Pupils.Total), "pupils")
}

// BenchmarkBuild is the join alone, for the snapshots rebuilt for hundreds of schools.
func BenchmarkBuild(b *testing.B) {
	s, school, feed, _ := lyceeFiles(b)
	opt := Options{UAI: s.UAI, SchoolYear: s.Year}
	in := BuildInput{UAI: s.UAI, SchoolYear: s.Year, AsOf: s.Now}
	for _, u := range school {
		p, err := Read(u, opt)
		if err != nil {
			b.Fatal(err)
		}
		in.Add(p)
	}
	f, err := ReadFeed(feed, opt)
	if err != nil {
		b.Fatal(err)
	}
	in.ENT = f.Schools[s.UAI]
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := Build(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}
