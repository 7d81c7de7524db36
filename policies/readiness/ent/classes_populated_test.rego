package vigie.checks.ent.classes_populated

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_empty_class if {
	r := result with input as testdata.with_facts({"divisions": {"2NDE2": {"ent": {"pupils": 0}}}})
	r.status == "fail"
	r.items == {{"code": "2NDE2", "kind": "division", "detail": "aucun élève dans l'annuaire de l'ENT (28 élèves actifs dans SIECLE-BEE)"}}
}

test_fail_class_listed_only_in_ent if {
	inp := testdata.with_facts({"divisions": {"TERM9": {"code": "TERM9", "sts": {"present": false}, "siecle": {"present": false, "pupils": 0}, "ent": {"listed": true, "pupils": 0}}}})
	testdata.codes(result) == {"TERM9"} with input as inp
}

test_ignores_classes_unknown_to_sts_and_ent if {
	inp := testdata.with_facts({"divisions": {"OLD": {"code": "OLD", "sts": {"present": false}, "siecle": {"present": true, "pupils": 3}, "ent": {"listed": false, "pupils": 0}}}})
	result.status == "pass" with input as inp
}

test_unknown_when_structure_not_in_feed if {
	r := result with input as testdata.with_facts({"ent": {"structure_found": false}})
	r.status == "unknown"
	r.reason
}

test_unknown_without_feed if {
	result.status == "unknown" with input as testdata.without_source("ent")
}
