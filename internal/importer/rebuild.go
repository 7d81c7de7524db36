package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
)

// Rebuild joins the latest facts of every source of a school into a new snapshot and stores it.
func (im *Importer) Rebuild(ctx context.Context, scope access.Scope, academy campaign.Academy, uai string, year int) (store.Snapshot, error) {
	asOf := im.now().UTC()
	in, err := im.BuildInput(ctx, scope, uai, year, asOf)
	if err != nil {
		return store.Snapshot{}, err
	}
	snap, err := ingest.Build(in)
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("build snapshot of %s: %w", uai, err)
	}
	facts, err := json.Marshal(snap)
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("encode snapshot of %s: %w", uai, err)
	}
	sources, err := json.Marshal(snap.Sources)
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("encode snapshot of %s: %w", uai, err)
	}
	return im.st.SaveSnapshot(ctx, scope, store.Snapshot{
		AcademyID: academy.ID, UAI: uai, SchoolYear: year, AsOf: asOf, SchemaVersion: fact.SchemaVersion,
		Sources: sources, Facts: facts,
	})
}

// BuildInput loads what Build needs for a school: the latest part of each source and the
// history (when groups last changed in STS-Web, last year's groups).
func (im *Importer) BuildInput(ctx context.Context, scope access.Scope, uai string, year int, asOf time.Time) (ingest.BuildInput, error) {
	in := ingest.BuildInput{UAI: uai, SchoolYear: year, AsOf: asOf, ImportIDs: map[fact.Source]int64{}}
	parts, err := im.st.LatestParts(ctx, scope, uai, year, time.Time{})
	if err != nil {
		return in, err
	}
	for _, p := range parts {
		in.ImportIDs[fact.Source(p.Kind)] = p.ImportID
		var dst any
		switch fact.Source(p.Kind) {
		case fact.SourceSTS:
			in.STS = new(ingest.STSPart)
			dst = in.STS
		case fact.SourceSIECLE:
			in.SIECLE = new(ingest.SIECLEPart)
			dst = in.SIECLE
		case fact.SourceStructures:
			in.Structures = new(ingest.StructuresPart)
			dst = in.Structures
		case fact.SourceNomenclature:
			in.Nomenclature = new(ingest.NomenclaturePart)
			dst = in.Nomenclature
		case fact.SourceLinks:
			in.Links = new(ingest.LinksPart)
			dst = in.Links
		case fact.SourceENT:
			in.ENT = new(ingest.ENTPart)
			dst = in.ENT
		default:
			continue
		}
		if err := json.Unmarshal(p.JSON, dst); err != nil {
			return in, fmt.Errorf("decode %s facts of %s (import %d): %w", p.Kind, uai, p.ImportID, err)
		}
	}
	if in.STS != nil {
		hist, err := im.st.PartsHistory(ctx, scope, uai, string(fact.SourceSTS), year)
		if err != nil {
			return in, err
		}
		earlier := make([]*ingest.STSPart, 0, len(hist))
		for _, h := range hist {
			var p ingest.STSPart
			if err := json.Unmarshal(h.JSON, &p); err != nil {
				return in, fmt.Errorf("decode STS history of %s (import %d): %w", uai, h.ImportID, err)
			}
			earlier = append(earlier, &p)
		}
		in.History.STSGroupsChangedAt = ingest.STSGroupsChangedAt(in.STS, earlier)
	}
	prev, err := im.st.LatestParts(ctx, scope, uai, year-1, time.Time{})
	if err != nil {
		return in, err
	}
	for _, p := range prev {
		if fact.Source(p.Kind) != fact.SourceSTS {
			continue
		}
		var old ingest.STSPart
		if err := json.Unmarshal(p.JSON, &old); err != nil {
			return in, fmt.Errorf("decode last year's STS facts of %s (import %d): %w", uai, p.ImportID, err)
		}
		in.History.PreviousYearKnown = true
		in.History.PreviousYearGroups = ingest.GroupCodes(&old)
	}
	return in, nil
}

// zipBlob keeps several original files as one zip archive.
func zipBlob(files []ingest.Upload) (store.Blob, error) {
	if len(files) == 1 {
		return store.GzipBlob(io.NewSectionReader(files[0].Content, 0, files[0].Size))
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.ModTime})
		if err != nil {
			return store.Blob{}, fmt.Errorf("keep original %s: %w", f.Name, err)
		}
		if _, err := io.Copy(w, io.NewSectionReader(f.Content, 0, f.Size)); err != nil {
			return store.Blob{}, fmt.Errorf("keep original %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return store.Blob{}, fmt.Errorf("keep originals: %w", err)
	}
	return store.Blob{Encoding: "zip", Data: buf.Bytes()}, nil
}
