package vigie.checks.ent.groups_populated

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_empty_group if {
	r := result with input as testdata.with_facts({"groups": {"2NDE1 AGL1": {"ent": {"pupils": 0}}}})
	r.status == "fail"
	r.items == {{"code": "2NDE1 AGL1", "kind": "group", "detail": "aucun élève dans l'annuaire de l'ENT (15 élèves actifs dans SIECLE-BEE)"}}
}

test_unknown_when_structure_not_in_feed if {
	result.status == "unknown" with input as testdata.with_facts({"ent": {"structure_found": false}})
}

test_unknown_with_stale_feed if {
	result.status == "unknown" with input as testdata.with_source_time("ent", "2026-09-01T02:00:00Z")
}
