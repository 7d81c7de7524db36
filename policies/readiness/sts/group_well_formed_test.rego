package vigie.checks.sts.group_well_formed

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_every_problem_in_one_item if {
	inp := json.patch(testdata.base, [
		{"op": "replace", "path": "/facts/groups/2NDE1 AGL1/sts/divisions", "value": []},
		{"op": "replace", "path": "/facts/groups/2NDE1 AGL1/sts/planned", "value": 0},
		{"op": "replace", "path": "/facts/groups/2NDE1 AGL1/sts/services", "value": 0},
	])
	r := result with input as inp
	r.status == "fail"
	r.items == {{"code": "2NDE1 AGL1", "kind": "group", "detail": "rattaché à aucune division ; effectif prévu à 0 ; aucun service"}}
}

test_fail_unknown_division if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/groups/2NDE2 AGL1/sts/divisions", "value": ["3Z"]}])
	r := result with input as inp
	r.items == {{"code": "2NDE2 AGL1", "kind": "group", "detail": "rattaché à des divisions absentes de STS-Web (3Z)"}}
}

test_pass_when_one_division_exists if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/groups/2NDE2 AGL1/sts/divisions", "value": ["3Z", "2NDE2"]}])
	result.status == "pass" with input as inp
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}

test_fail_planned_zero_only if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/groups/2NDE2 AGL1/sts/planned", "value": 0}])
	r := result with input as inp
	r.items == {{"code": "2NDE2 AGL1", "kind": "group", "detail": "effectif prévu à 0"}}
}
