package vigie.checks.siecle.structure_exported

import data.vigie.testdata

test_pass if {
	r := result with input as testdata.base
	r.status == "pass"
	r.basis == "structures"
}

test_fail_missing_in_structures if {
	inp := testdata.with_facts({
		"divisions": {"2NDE2": {"siecle": {"in_structures": false}}},
		"groups": {"2NDE1 AGL1": {"siecle": {"in_structures": false}}},
	})
	r := result with input as inp
	r.status == "fail"
	r.items == {
		{"code": "2NDE2", "kind": "division", "detail": "division absente de SIECLE-BEE (d'après Structures.xml)"},
		{"code": "2NDE1 AGL1", "kind": "group", "detail": "groupe absent de SIECLE-BEE (d'après Structures.xml)"},
	}
}

test_fail_extra_in_siecle if {
	inp := testdata.with_facts({
		"divisions": {"1ERE9": {"code": "1ERE9", "sts": {"present": false}, "siecle": {"present": true, "in_structures": true, "pupils": 0, "pupils_all": 0}, "ent": {}}},
		"groups": {"OLD GR": {"code": "OLD GR", "sts": {"present": false}, "siecle": {"present": true, "in_structures": true, "pupils": 0, "pupils_all": 0}, "links": {}, "ent": {}}},
	})
	r := result with input as inp
	testdata.codes(r) == {"1ERE9", "OLD GR"}
}

test_fallback_on_pupils_without_structures if {
	base := testdata.without_source("siecle_structures")
	result.status == "pass" with input as base
	result.basis == "eleves" with input as base

	# A division of STS with no pupil at all in SIECLE is missing; a group with no pupil is
	# left to siecle.groups_populated; a SIECLE group unknown to STS is reported.
	inp := object.union(base, {"facts": {
		"divisions": {"2NDE2": {"siecle": {"in_structures": false, "pupils": 0, "pupils_all": 0}}},
		"groups": {
			"2NDE1 AGL1": {"siecle": {"in_structures": false, "pupils": 0, "pupils_all": 0}},
			"ESP GR9": {"code": "ESP GR9", "sts": {"present": false}, "siecle": {"present": true, "pupils": 0, "pupils_all": 2}, "links": {}, "ent": {}},
		},
	}})
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"2NDE2", "ESP GR9"}
	every i in r.items {
		contains(i.detail, "d'après les élèves de SIECLE-BEE")
	}
}

test_fallback_ignores_inactive_pseudo_division if {
	inp := json.patch(testdata.without_source("siecle_structures"), [{"op": "add", "path": "/facts/divisions/INACTIFS", "value": {
		"code": "Inactifs", "sts": {"present": false}, "siecle": {"present": true, "pupils": 0, "pupils_all": 4}, "ent": {},
	}}])
	result.status == "pass" with input as inp
}

test_fallback_when_structures_stale if {
	inp := testdata.with_source_time("siecle_structures", "2026-08-01T08:00:00Z")
	result.basis == "eleves" with input as inp
}

test_unknown_without_siecle if {
	r := result with input as testdata.without_source("siecle")
	r.status == "unknown"
	testdata.codes(r) == {"siecle"}
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}
