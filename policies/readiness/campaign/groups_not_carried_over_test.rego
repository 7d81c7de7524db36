package vigie.checks.campaign.groups_not_carried_over

import data.vigie.testdata

carried := {"groups": {"1ERE1 SPE": {
	"code": "1ERE1 SPE",
	"sts": {"present": true, "planned": 20, "computed": 0, "divisions": ["2NDE1"], "services": 1},
	"siecle": {"present": true, "in_structures": true, "pupils": 0, "pupils_all": 0},
	"links": {"present": false, "pupils": 0},
	"ent": {"listed": false, "pupils": 0},
}}}

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_carried_over_group if {
	r := result with input as testdata.with_facts(carried)
	r.status == "fail"
	r.items == {{"code": "1ERE1 SPE", "kind": "group", "detail": "groupe déjà présent l'an dernier, sans élève actif dans SIECLE-BEE"}}
}

test_pass_when_carried_group_has_pupils if {
	inp := testdata.with_facts(object.union(carried, {"groups": {"1ERE1 SPE": {"siecle": {"pupils": 18}}}}))
	result.status == "pass" with input as inp
}

test_uses_sts_computed_without_siecle if {
	inp := json.remove(testdata.with_facts(carried), ["facts/sources/siecle"])
	r := result with input as inp
	r.items == {{"code": "1ERE1 SPE", "kind": "group", "detail": "groupe déjà présent l'an dernier, effectif calculé 0 dans STS-Web"}}
}

test_unknown_without_siecle_nor_computed if {
	carried_without_computed := object.union(carried, {"groups": {"1ERE1 SPE": {"sts": {"computed": null}}}})
	inp := json.remove(testdata.with_facts(carried_without_computed), ["facts/sources/siecle"])
	r := result with input as inp
	r.status == "unknown"
	contains(r.reason, "1ERE1 SPE")
}

test_not_applicable_when_groups_not_in_edt if {
	cfg := testdata.config({"groups_managed_in_edt": false})
	r := result with input as testdata.with_facts(carried) with data.vigie.config as cfg
	r.status == "pass"
	r.note
}

test_unknown_without_previous_year if {
	result.status == "unknown" with input as testdata.with_facts({"history": {"previous_year_known": false}})
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}
