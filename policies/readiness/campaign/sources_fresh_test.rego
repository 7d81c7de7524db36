package vigie.checks.campaign.sources_fresh

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_pass_when_a_source_is_missing if {
	# A missing source is not stale: the checks that need it are unknown instead.
	result.status == "pass" with input as testdata.without_source("links")
}

test_fail_on_each_stale_source if {
	inp := testdata.with_facts({"sources": {
		"sts": {"exported_at": "2026-09-01T08:00:00Z"},
		"links": {"exported_at": "2026-09-02T08:00:00Z"},
	}})
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"sts", "links"}
}

test_fail_on_wrong_year if {
	r := result with input as testdata.with_facts({"school_year": 2025})
	count(r.items) == 5
}

test_unknown_without_any_source if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/sources", "value": {}}])
	result.status == "unknown" with input as inp
}

test_fail_on_undated_source if {
	inp := testdata.with_facts({"sources": {"ent": {"exported_at": "", "imported_at": ""}}})
	r := result with input as inp
	r.items == {{"code": "ent", "kind": "source", "detail": "annuaire fédérateur (AAF) : date d'export inconnue"}}
}

test_pass_with_a_note_when_the_export_time_is_the_upload_time if {
	# An STS-Web export carries no date: it passes on its upload time, and the note says so.
	inp := testdata.with_facts({"sources": {"sts": {"export_time_from": "upload", "exported_at": "2026-10-05T06:00:00Z"}}})
	r := result with input as inp
	r.status == "pass"
	r.note == "Date d'export absente du fichier, fraîcheur non garantie : STS-Web (export sts_emp) : date de dépôt retenue, 05/10/2026 à 8 h 00."
}

test_note_names_each_estimated_source if {
	inp := testdata.with_facts({"sources": {
		"sts": {"export_time_from": "zip_entry"},
		"siecle": {"export_time_from": "mtime"},
	}})
	r := result with input as inp
	r.status == "pass"
	contains(r.note, "STS-Web (export sts_emp) : date du fichier dans l'archive zip retenue, 02/10/2026 à 10 h 00 ; ")
	contains(r.note, "SIECLE-BEE (export des élèves) : date de modification du fichier retenue, 02/10/2026 à 9 h 00.")
}

test_no_note_when_every_time_is_read_in_the_file if {
	r := result with input as testdata.base
	not r.note
	r2 := result with input as testdata.with_facts({"sources": {"links": {"export_time_from": "file_name"}}})
	not r2.note
}

test_stale_estimated_source_fails_and_is_not_noted_twice if {
	# Even the upload time is too old: the source fails; the note only covers usable sources.
	inp := testdata.with_facts({"sources": {"sts": {"export_time_from": "upload", "exported_at": "2026-09-01T08:00:00Z"}}})
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"sts"}
	not r.note
}

test_failing_check_keeps_the_note_of_other_sources if {
	inp := testdata.with_facts({"sources": {
		"sts": {"export_time_from": "upload"},
		"links": {"exported_at": "2026-09-02T08:00:00Z"},
	}})
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"links"}
	contains(r.note, "STS-Web (export sts_emp) : date de dépôt retenue")
}
