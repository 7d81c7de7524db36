package vigie.checks.siecle.groups_populated

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_empty_group if {
	inp := testdata.with_facts({"groups": {"2NDE1 AGL1": {"siecle": {"pupils": 0}, "links": {"pupils": 0}}}})
	r := result with input as inp
	r.status == "fail"
	r.items == {{"code": "2NDE1 AGL1", "kind": "group", "detail": "aucun élève actif dans SIECLE-BEE (effectif prévu 15)"}}
}

test_fail_hints_at_links_file if {
	inp := testdata.with_facts({"groups": {"2NDE1 AGL1": {"siecle": {"pupils": 0}}}})
	r := result with input as inp
	some i in r.items
	contains(i.detail, "15 élèves dans le fichier de liens EDT")
}

test_fail_group_missing_from_siecle if {
	inp := testdata.with_facts({"groups": {"2NDE2 AGL1": {"siecle": {"present": false, "in_structures": false, "pupils": 0, "pupils_all": 0}}}})
	r := result with input as inp
	r.items == {{"code": "2NDE2 AGL1", "kind": "group", "detail": "aucun élève actif dans SIECLE-BEE : groupe absent de SIECLE-BEE"}}
}

test_pass_without_groups if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/groups", "value": {}}])
	result.status == "pass" with input as inp
}

test_unknown_without_siecle if {
	result.status == "unknown" with input as testdata.without_source("siecle")
}

test_unknown_with_stale_siecle if {
	r := result with input as testdata.with_source_time("siecle", "2026-09-20T08:00:00Z")
	r.status == "unknown"
	contains(r.reason, "plus ancien que la limite de 7 jours")
}
