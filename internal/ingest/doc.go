// Package ingest is Vigie's reading layer: it turns the files schools and academies already
// have — the STS-Web export (sts_emp, root STS_EDT), the SIECLE-BEE exports (BEE_ELEVES,
// BEE_STRUCTURES, BEE_NOMENCLATURES), the timetable software's pupil-group links file
// (<UAI>ELEGROUPE<digits>.xml, root IMPORT_ELEVES) and the academy's federating directory feed
// (AAF, root ficAlimMENESR) — into per-file "parts", and joins the latest part of each source
// into one fact.Snapshot per school (Build).
//
// It owns opening uploads safely (bare XML or a zip holding one XML, with zip bomb limits,
// declared encodings honoured, DTD entity declarations refused) and turning every bad input
// into an *apperr.InputError that names the file, line and element. It does no database or
// network I/O: callers hand it bytes and persist the parts it returns.
//
// Every file is tokenised by a small scanner, several times faster than encoding/xml and
// checked against it by FuzzScanner. School files (capped by Limits.MaxFileSize) are read
// whole into a recycled buffer; the feed, which covers an academy, is streamed through the
// same scanner a window at a time (FuzzStreamScanner checks it against the whole-file one),
// in memory proportional to its structures and persons (FeedReader).
package ingest
