package vigie.checks.sts.division_headcount

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_pass_within_tolerance if {
	# 30 planned: allowed max(ceil(3), 2) = 3.
	result.status == "pass" with input as testdata.with_facts({"divisions": {"2NDE1": {"sts": {"computed": 33}}}})
}

test_pass_without_computed if {
	result.status == "pass" with input as testdata.with_facts({"divisions": {"2NDE1": {"sts": {"computed": null}}}})
}

test_fail_beyond_tolerance if {
	r := result with input as testdata.with_facts({"divisions": {"2NDE1": {"sts": {"computed": 34}}}})
	r.status == "fail"
	testdata.codes(r) == {"2NDE1"}
	some i in r.items
	i.detail == "effectif calculé 34 pour 30 prévus (écart 4, tolérance 3)"
}

test_fail_planned_zero if {
	r := result with input as testdata.with_facts({"divisions": {"2NDE2": {"sts": {"planned": 0, "computed": 0}}}})
	r.status == "fail"
	r.items == {{"code": "2NDE2", "kind": "division", "detail": "effectif prévu à 0"}}
}

test_tolerance_min_applies_to_small_divisions if {
	small := testdata.with_facts({"divisions": {"2NDE1": {"sts": {"planned": 10, "computed": 12}}}})
	result.status == "pass" with input as small
	smaller := testdata.with_facts({"divisions": {"2NDE1": {"sts": {"planned": 10, "computed": 13}}}})
	result.status == "fail" with input as smaller
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}
