package vigie.checks.sts.divisions_present

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_without_division if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/divisions", "value": {}}])
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"sts"}
}

test_fail_when_divisions_only_in_siecle if {
	inp := testdata.with_facts({"divisions": {
		"2NDE1": {"sts": {"present": false}},
		"2NDE2": {"sts": {"present": false}},
	}})
	result.status == "fail" with input as inp
}

test_fail_with_null_divisions if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/divisions", "value": null}])
	result.status == "fail" with input as inp
}

test_unknown_without_sts if {
	r := result with input as testdata.without_source("sts")
	r.status == "unknown"
	testdata.codes(r) == {"sts"}
}

test_unknown_when_stale if {
	result.status == "unknown" with input as testdata.with_source_time("sts", "2026-09-01T08:00:00Z")
}
