package vigie.checks.siecle.pupils_identified

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail if {
	inp := testdata.with_facts({"pupils": {"missing_ine": [{"id": "7", "name": "PETIT Noé", "division": "2NDE1"}]}})
	r := result with input as inp
	r.status == "fail"
	r.items == {{"code": "7", "kind": "pupil", "detail": "PETIT Noé (2NDE1) : INE absent"}}
}

test_unknown_without_siecle if {
	result.status == "unknown" with input as testdata.without_source("siecle")
}
