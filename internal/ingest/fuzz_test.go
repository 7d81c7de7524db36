package ingest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// The fuzz targets check that no input makes a reader panic, and that every refusal is an
// *apperr.InputError (what the user is shown). Seeds: the testdata files and the corpus under
// testdata/fuzz/<target>/.

func addSeeds(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(readTestdata(f, n))
	}
}

func requireInputError(t *testing.T, err error) {
	if err == nil {
		return
	}
	if _, ok := errors.AsType[*apperr.InputError](err); !ok {
		t.Fatalf("error is %T, not an *apperr.InputError: %v", err, err)
	}
}

var fuzzLimits = Limits{MaxFileSize: 4 << 20, MaxFeedSize: 4 << 20, MaxRecordElements: 1000}

func FuzzRead(f *testing.F) {
	addSeeds(f, "sts_emp_0790029C_2026.xml", "Structures.xml", "Nomenclature.xml")
	f.Add(zipBytes(f, zipEntry{name: "Structures.xml", data: readTestdata(f, "Structures.xml")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytesUpload("f.xml", data), Options{Limits: fuzzLimits})
		requireInputError(t, err)
		if err == nil && p.Meta() == nil {
			t.Fatal("a part without payload")
		}
	})
}

func FuzzReadSTS(f *testing.F) {
	addSeeds(f, "sts_emp_0790029C_2026.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadSTS("sts.xml", bytes.NewReader(data), Options{Limits: fuzzLimits})
		requireInputError(t, err)
		if err == nil {
			if _, err := Build(BuildInput{UAI: p.Meta.UAI, STS: p, AsOf: asOf}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzReadSIECLE(f *testing.F) {
	addSeeds(f, "ElevesSansAdresses.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadSIECLE("e.xml", bytes.NewReader(data), Options{Limits: fuzzLimits})
		requireInputError(t, err)
		if err == nil {
			if _, err := Build(BuildInput{UAI: p.Meta.UAI, SIECLE: p, AsOf: asOf}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzReadLinks(f *testing.F) {
	addSeeds(f, "0790029CELEGROUPE2026260908101500.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadLinks([]string{"0790029CELEGROUPE2026260908101500.xml"}, bytes.NewReader(data), Options{Limits: fuzzLimits})
		requireInputError(t, err)
		if err == nil {
			if _, err := Build(BuildInput{UAI: p.Meta.UAI, Links: p, AsOf: asOf}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzFeed(f *testing.F) {
	addSeeds(f, "aaf/FULL_TEST_Complet_20260909_EtabEducNat_0000.xml", "aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml",
		"aaf/FULL_TEST_Complet_20260909_Eleve_0001.xml", "aaf/FULL_TEST_Complet_20260909_PersEducNat_0000.xml")
	etab := readTestdata(f, "aaf/FULL_TEST_Complet_20260909_EtabEducNat_0000.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFeedReader(Options{Limits: fuzzLimits})
		if err := fr.Add("FULL_F_Complet_20260909_EtabEducNat_0000.xml", bytes.NewReader(etab)); err != nil {
			t.Fatal(err)
		}
		err := fr.Add("FULL_F_Complet_20260909_Eleve_0000.xml", bytes.NewReader(data))
		requireInputError(t, err)
		feed := fr.Finish()
		for u, p := range feed.Schools {
			if _, err := Build(BuildInput{UAI: u, ENT: p, AsOf: asOf}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
