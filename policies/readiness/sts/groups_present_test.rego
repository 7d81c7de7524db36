package vigie.checks.sts.groups_present

import data.vigie.testdata

no_groups := json.patch(testdata.base, [{"op": "replace", "path": "/facts/groups", "value": {}}])

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_lycee_without_groups if {
	r := result with input as no_groups
	r.status == "fail"
	testdata.codes(r) == {"sts"}
}

test_college_without_groups_is_not_applicable if {
	inp := object.union(no_groups, {"school": {"kind": "college"}})
	r := result with input as inp
	r.status == "pass"
	r.note
}

test_college_using_groups_fails if {
	inp := object.union(no_groups, {"school": {"kind": "college", "uses_groups": true}})
	result.status == "fail" with input as inp
}

test_lycee_switched_off_by_config if {
	cfg := testdata.config({"schools": {"0790029C": {"uses_groups": false}}})
	result.status == "pass" with input as no_groups with data.vigie.config as cfg
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}

test_not_applicable_even_without_sts if {
	inp := object.union(testdata.without_source("sts"), {"school": {"kind": "college"}})
	result.status == "pass" with input as inp
}
