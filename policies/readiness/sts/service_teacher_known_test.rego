package vigie.checks.sts.service_teacher_known

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_lists_every_issue if {
	inp := testdata.with_facts({"teachers": {"service_issues": [
		{"structure": "2NDE1", "structure_kind": "division", "subject": "030201", "teacher_id": "999", "reason": "unknown_teacher"},
		{"structure": "2NDE1 AGL1", "structure_kind": "group", "subject": "030201", "teacher_id": "12", "reason": "no_function"},
	]}})
	r := result with input as inp
	r.status == "fail"
	testdata.codes(r) == {"2NDE1", "2NDE1 AGL1"}
	some i in r.items
	i.detail == "groupe 2NDE1 AGL1, matière 030201 : l'enseignant 12 n'a pas de fonction dans STS-Web (congé, départ ?)"
}

test_pass_with_null_issues if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/teachers/service_issues", "value": null}])
	result.status == "pass" with input as inp
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}
