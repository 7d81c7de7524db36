package vigie.checks.ent.teacher_links

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_division_and_group if {
	inp := testdata.with_facts({
		"divisions": {"2NDE1": {"ent": {"teacher_links": 0}}},
		"groups": {"2NDE2 AGL1": {"ent": {"teacher_links": 0}}},
	})
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"2NDE1", "2NDE2 AGL1"}
}

test_unknown_when_structure_not_in_feed if {
	result.status == "unknown" with input as testdata.with_facts({"ent": {"structure_found": false}})
}

test_unknown_without_feed if {
	result.status == "unknown" with input as testdata.without_source("ent")
}
