package vigie.checks.sts.group_headcount

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_pass_source_example_24_of_25 if {
	inp := testdata.with_facts({"groups": {"2NDE1 AGL1": {"sts": {"planned": 25, "computed": 24}}}})
	result.status == "pass" with input as inp
}

test_fail_on_computed if {
	inp := testdata.with_facts({"groups": {"2NDE1 AGL1": {"sts": {"planned": 25, "computed": 20}}}})
	r := result with input as inp
	r.status == "fail"
	r.items == {{"code": "2NDE1 AGL1", "kind": "group", "detail": "effectif calculé 20 pour 25 prévus dans STS-Web (écart 5, tolérance 3)"}}
}

test_computed_wins_over_siecle if {
	inp := testdata.with_facts({"groups": {"2NDE1 AGL1": {"sts": {"planned": 15, "computed": 15}, "siecle": {"pupils": 0}}}})
	result.status == "pass" with input as inp
}

test_fail_on_siecle_without_computed if {
	inp := testdata.with_facts({"groups": {"2NDE2 AGL1": {"siecle": {"pupils": 10}}}})
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"2NDE2 AGL1"}
}

test_planned_zero_left_to_well_formed if {
	inp := testdata.with_facts({"groups": {"2NDE2 AGL1": {"sts": {"planned": 0}, "siecle": {"pupils": 10}}}})
	result.status == "pass" with input as inp
}

test_unknown_without_computed_nor_siecle if {
	r := result with input as testdata.without_source("siecle")
	r.status == "unknown"
	contains(r.reason, "2NDE1 AGL1, 2NDE2 AGL1")
}

test_pass_with_computed_and_no_siecle if {
	inp := json.remove(
		testdata.with_facts({"groups": {
			"2NDE1 AGL1": {"sts": {"computed": 15}},
			"2NDE2 AGL1": {"sts": {"computed": 14}},
		}}),
		["facts/sources/siecle"],
	)
	result.status == "pass" with input as inp
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}
