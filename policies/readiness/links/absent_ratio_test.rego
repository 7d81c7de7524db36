package vigie.checks.links.absent_ratio

import data.vigie.testdata

absentees(n) := [{"id": sprintf("%d", [i]), "name": sprintf("ELEVE %d", [i]), "division": "2NDE1"} | some i in numbers.range(1, n)]

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_pass_at_threshold if {
	# 20 % of 60 active pupils = 12: not above the threshold.
	inp := testdata.with_facts({"pupils": {"active": 60, "links_absent": absentees(12)}})
	result.status == "pass" with input as inp
}

test_fail_above_threshold_lists_every_pupil if {
	inp := testdata.with_facts({"pupils": {"active": 60, "links_absent": absentees(13)}})
	r := result with input as inp
	r.status == "fail"
	count(r.items) == 13
	r.summary == "13 élèves absents du dernier fichier de liens sur 60 élèves actifs (21,7 %, seuil 20 %)"
}

test_source_example_350_of_713 if {
	inp := testdata.with_facts({"pupils": {"active": 713, "links_absent": absentees(350)}})
	r := result with input as inp
	r.status == "fail"
	count(r.items) == 350
	contains(r.summary, "(49,1 %")
}

test_threshold_configurable if {
	inp := testdata.with_facts({"pupils": {"active": 60, "links_absent": absentees(13)}})
	cfg := testdata.config({"absent_ratio_pct": 25})
	result.status == "pass" with input as inp with data.vigie.config as cfg
}

test_pass_without_active_pupils if {
	inp := testdata.with_facts({"pupils": {"active": 0}})
	result.status == "pass" with input as inp
}

test_unknown_without_links if {
	result.status == "unknown" with input as testdata.without_source("links")
}

test_unknown_without_siecle if {
	result.status == "unknown" with input as testdata.without_source("siecle")
}
