package vigie.checks.ent.matches_siecle

import data.vigie.testdata

gap := {"divisions": {"2NDE1": {"ent": {"pupils": 27}}}, "groups": {"2NDE2 AGL1": {"ent": {"pupils": 10}}}}

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_when_settled if {
	# SIECLE exported 2026-10-02 07:00, ENT extracted 2026-10-05 02:00: more than 2 days.
	r := result with input as testdata.with_facts(gap)
	r.status == "fail"
	r.items == {
		{"code": "2NDE1", "kind": "division", "detail": "27 élèves dans l'ENT, 30 élèves actifs dans SIECLE-BEE"},
		{"code": "2NDE2 AGL1", "kind": "group", "detail": "10 élèves dans l'ENT, 14 élèves actifs dans SIECLE-BEE"},
	}
}

test_unknown_while_synchronising if {
	inp := object.union(testdata.with_facts(gap), {"facts": {"sources": {"siecle": {"exported_at": "2026-10-03T02:00:01Z"}}}})
	r := result with input as inp
	r.status == "unknown"
	startswith(r.reason, "Synchronisation en cours")
	count(r.items) == 2
}

test_exactly_sync_delay_is_settled if {
	inp := object.union(testdata.with_facts(gap), {"facts": {"sources": {"siecle": {"exported_at": "2026-10-03T02:00:00Z"}}}})
	result.status == "fail" with input as inp
}

test_pass_while_synchronising_without_gap if {
	inp := testdata.with_source_time("siecle", "2026-10-05T01:00:00Z")
	result.status == "pass" with input as inp
}

test_sync_delay_configurable if {
	cfg := testdata.config({"sync_delay_days": 4})
	result.status == "unknown" with input as testdata.with_facts(gap) with data.vigie.config as cfg
}

test_unknown_without_siecle if {
	result.status == "unknown" with input as testdata.without_source("siecle")
}

test_unknown_when_structure_not_in_feed if {
	result.status == "unknown" with input as testdata.with_facts({"ent": {"structure_found": false}})
}
