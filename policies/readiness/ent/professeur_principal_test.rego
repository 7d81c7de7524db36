package vigie.checks.ent.professeur_principal

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail if {
	r := result with input as testdata.with_facts({"divisions": {"2NDE1": {"ent": {"principal_links": 0}}}})
	r.status == "fail"
	testdata.codes(r) == {"2NDE1"}
}

test_unknown_when_structure_not_in_feed if {
	result.status == "unknown" with input as testdata.with_facts({"ent": {"structure_found": false}})
}

test_unknown_without_feed if {
	result.status == "unknown" with input as testdata.without_source("ent")
}
