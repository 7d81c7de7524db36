package vigie.checks.siecle.no_duplicate_pupils

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_same_ine if {
	inp := testdata.with_facts({"pupils": {"duplicate_ine": [{"key": "1234567890A", "pupils": [
		{"id": "1", "name": "MARTIN Léa", "division": "2NDE1"},
		{"id": "2", "name": "MARTIN Lea", "division": "2NDE2"},
	]}]}})
	r := result with input as inp
	r.status == "fail"
	r.items == {
		{"code": "1", "kind": "pupil", "detail": "MARTIN Léa (2NDE1) : même INE 1234567890A que MARTIN Lea [2]"},
		{"code": "2", "kind": "pupil", "detail": "MARTIN Lea (2NDE2) : même INE 1234567890A que MARTIN Léa [1]"},
	}
}

test_fail_same_identity if {
	inp := testdata.with_facts({"pupils": {"duplicate_identity": [{"key": "MARTIN LEA 2010-02-01", "pupils": [
		{"id": "1", "name": "MARTIN Léa"},
		{"id": "3", "name": "MARTIN Léa"},
	]}]}})
	r := result with input as inp
	testdata.codes(r) == {"1", "3"}
}

test_unknown_without_siecle if {
	result.status == "unknown" with input as testdata.without_source("siecle")
}
