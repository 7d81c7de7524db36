package vigie.checks.sts.professeur_principal

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_without_pp if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/divisions/2NDE1/sts/pp", "value": []}])
	r := result with input as inp
	r.status == "fail"
	r.items == {{"code": "2NDE1", "kind": "division", "detail": "aucun professeur principal désigné"}}
}

test_fail_with_pp_null if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/divisions/2NDE1/sts/pp", "value": null}])
	result.status == "fail" with input as inp
}

test_fail_when_pp_ended if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/divisions/2NDE2/sts/pp", "value": [
		{"teacher_id": "T1", "start": "2026-09-01", "end": "2026-10-04"},
		{"teacher_id": "T2", "start": "2026-10-06", "end": ""},
	]}])
	r := result with input as inp
	r.status == "fail"
	some i in r.items
	i.code == "2NDE2"
	i.detail == "aucun professeur principal en fonction le 05/10/2026 (2 désignations hors de leurs dates)"
}

test_pass_when_one_of_several_active if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/divisions/2NDE2/sts/pp", "value": [
		{"teacher_id": "T1", "start": "2026-09-01", "end": "2026-10-04"},
		{"teacher_id": "T2", "start": "2026-10-05", "end": ""},
	]}])
	result.status == "pass" with input as inp
}

test_unknown_without_sts if {
	result.status == "unknown" with input as testdata.without_source("sts")
}

test_pp_ending_today_is_active if {
	inp := json.patch(testdata.base, [{"op": "replace", "path": "/facts/divisions/2NDE2/sts/pp", "value": [
		{"teacher_id": "T1", "start": "", "end": "2026-10-05"},
	]}])
	result.status == "pass" with input as inp
}
