package vigie.checks.siecle.pupils_in_one_division

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_lists_every_pupil if {
	inp := testdata.with_facts({"pupils": {
		"no_division": [{"id": "1001", "name": "MARTIN Léa"}],
		"several_divisions": [{"id": "1002", "name": "DURAND Hugo", "divisions": ["2NDE1", "2NDE2"]}],
	}})
	r := result with input as inp
	r.status == "fail"
	r.items == {
		{"code": "1001", "kind": "pupil", "detail": "MARTIN Léa : aucune division"},
		{"code": "1002", "kind": "pupil", "detail": "DURAND Hugo : 2 divisions (2NDE1, 2NDE2)"},
	}
}

test_pass_with_null_lists if {
	inp := json.patch(testdata.base, [
		{"op": "replace", "path": "/facts/pupils/no_division", "value": null},
		{"op": "replace", "path": "/facts/pupils/several_divisions", "value": null},
	])
	result.status == "pass" with input as inp
}

test_unknown_without_siecle if {
	result.status == "unknown" with input as testdata.without_source("siecle")
}

test_unknown_when_siecle_of_last_year if {
	result.status == "unknown" with input as testdata.with_facts({"school_year": 2025})
}
