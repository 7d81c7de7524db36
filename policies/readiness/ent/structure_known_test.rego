package vigie.checks.ent.structure_known

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail if {
	r := result with input as testdata.with_facts({"ent": {"structure_found": false}})
	r.status == "fail"
	testdata.codes(r) == {"0790029C"}
}

test_unknown_without_feed if {
	result.status == "unknown" with input as testdata.without_source("ent")
}
