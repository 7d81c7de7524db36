package vigie.checks.sts.pedagogical_team

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_pass_through_groups_only if {
	inp := testdata.with_facts({"divisions": {"2NDE1": {"sts": {"services": 0, "services_with_teacher": 0, "group_services_with_teacher": 1}}}})
	result.status == "pass" with input as inp
}

test_fail_without_teacher if {
	inp := testdata.with_facts({"divisions": {"2NDE1": {"sts": {"services": 4, "services_with_teacher": 0, "group_services_with_teacher": 0}}}})
	r := result with input as inp
	r.status == "fail"
	r.items == {{"code": "2NDE1", "kind": "division", "detail": "aucun service avec enseignant (4 services sans enseignant, aucun par ses groupes)"}}
}

test_fail_without_service if {
	inp := testdata.with_facts({"divisions": {"2NDE2": {"sts": {"services": 0, "services_with_teacher": 0, "group_services_with_teacher": 0}}}})
	r := result with input as inp
	r.items == {{"code": "2NDE2", "kind": "division", "detail": "aucun service, ni pour la division ni pour ses groupes"}}
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}
