package vigie.checks.siecle.division_headcount

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_against_computed if {
	inp := testdata.with_facts({"divisions": {"2NDE1": {"siecle": {"pupils": 26}}}})
	r := result with input as inp
	r.status == "fail"
	r.items == {{"code": "2NDE1", "kind": "division", "detail": "26 élèves actifs dans SIECLE-BEE pour un effectif calculé de 30 dans STS-Web (écart 4, tolérance 3)"}}
}

test_planned_when_computed_zero if {
	inp := testdata.with_facts({"divisions": {"2NDE1": {"sts": {"planned": 30, "computed": 0}, "siecle": {"pupils": 29}}}})
	result.status == "pass" with input as inp
	inp2 := testdata.with_facts({"divisions": {"2NDE1": {"sts": {"planned": 30, "computed": null}, "siecle": {"pupils": 20}}}})
	r := result with input as inp2
	some i in r.items
	contains(i.detail, "effectif prévu de 30")
}

test_unknown_without_siecle if {
	result.status == "unknown" with input as testdata.without_source("siecle")
}
