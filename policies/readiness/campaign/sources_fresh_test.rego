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
