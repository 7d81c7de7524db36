package vigie.lib_test

import data.vigie.lib
import data.vigie.testdata

test_sources_usable_in_base if {
	every s in ["sts", "siecle", "siecle_structures", "links", "ent"] {
		lib.usable(s) with input as testdata.base
	}
}

test_missing_source if {
	lib.source_state.siecle_nomenclature == "missing" with input as testdata.base
	lib.source_state.sts == "missing" with input as testdata.without_source("sts")
}

test_wrong_year if {
	inp := testdata.with_facts({"school_year": 2025})
	lib.source_state.sts == "wrong_year" with input as inp
	contains(lib.source_detail("sts"), "2025-2026") with input as inp
}

test_wrong_year_declared_by_the_file if {
	inp := testdata.with_facts({"sources": {"links": {"school_year": 2025}}})
	lib.source_state.links == "wrong_year" with input as inp
	lib.source_state.sts == "ok" with input as inp
	contains(lib.source_detail("links"), "2025-2026, attendu 2026-2027")
		with input as inp

	# The file's year wins over the snapshot's.
	right := testdata.with_facts({"school_year": 2025, "sources": {"sts": {"school_year": 2026}}})
	lib.source_state.sts == "ok" with input as right
	lib.source_state.siecle == "wrong_year" with input as right
}

test_stale_after_freshness_limit if {
	# Exported 7 days and 1 minute before now (2026-10-05 10:00 Paris = 08:00 UTC).
	stale := testdata.with_source_time("sts", "2026-09-28T07:59:00Z")
	lib.source_state.sts == "stale" with input as stale
	contains(lib.source_detail("sts"), "28/09/2026 à 9 h 59") with input as stale

	# Exactly 7 days is still fresh.
	fresh := testdata.with_source_time("sts", "2026-09-28T08:00:00Z")
	lib.source_state.sts == "ok" with input as fresh
}

test_freshness_configurable_per_school if {
	inp := testdata.with_source_time("sts", "2026-09-20T08:00:00Z")
	lib.source_state.sts == "stale" with input as inp
	cfg := testdata.config({"schools": {"0790029C": {"freshness_days": {"sts": 30}}}})
	lib.source_state.sts == "ok" with input as inp with data.vigie.config as cfg
}

test_undated_source_falls_back_to_import_time if {
	inp := testdata.with_facts({"sources": {"sts": {"exported_at": "0001-01-01T00:00:00Z"}}})
	lib.export_ns.sts == time.parse_rfc3339_ns("2026-10-05T06:00:00Z") with input as inp

	none := testdata.with_facts({"sources": {"sts": {"exported_at": "", "imported_at": ""}}})
	lib.source_state.sts == "undated" with input as none
}

test_unknown_names_unusable_sources if {
	r := lib.unknown(["sts", "links"]) with input as testdata.without_source("links")
	r.status == "unknown"
	[i.code | some i in r.items] == ["links"]
	contains(r.reason, "liens élèves-groupes EDT : aucun export déposé")
}

test_tolerance if {
	lib.allowed(25) == 3 with input as testdata.base # ceil(2.5)
	lib.allowed(10) == 2 with input as testdata.base # tolerance_min
	lib.allowed(25) == 5 with input as testdata.base with data.vigie.config as testdata.config({"tolerance_pct": 20})
}

test_school_override_wins if {
	cfg := testdata.config({"tolerance_min": 4, "schools": {"0790029C": {"tolerance_min": 6}}})
	lib.tolerance_min == 6 with input as testdata.base with data.vigie.config as cfg
}

test_check_modes if {
	cfg := testdata.config({"checks": {
		"a.off": {"mode": "off"},
		"a.monitor": {"mode": "monitor"},
		"a.later": {"mode": "enforce", "start": "2026-11-01"},
		"a.started": {"start": "2026-10-05"},
	}})
	lib.check_mode("a.off") == "off" with input as testdata.base with data.vigie.config as cfg
	lib.check_mode("a.monitor") == "monitor" with input as testdata.base with data.vigie.config as cfg
	lib.check_mode("a.later") == "monitor" with input as testdata.base with data.vigie.config as cfg
	lib.check_mode("a.started") == "enforce" with input as testdata.base with data.vigie.config as cfg
	lib.check_mode("a.other") == "enforce" with input as testdata.base with data.vigie.config as cfg
}

test_default_mode_and_school_mode if {
	cfg := testdata.config({"default_mode": "monitor", "schools": {"0790029C": {"checks": {"a.b": {"mode": "off"}}}}})
	lib.check_mode("x.y") == "monitor" with input as testdata.base with data.vigie.config as cfg
	lib.check_mode("a.b") == "off" with input as testdata.base with data.vigie.config as cfg
}

test_uses_groups if {
	lib.uses_groups with input as testdata.base
	college := object.union(testdata.base, {"school": {"kind": "college"}})
	not lib.uses_groups with input as college
	lib.uses_groups with input as object.union(college, {"school": {"uses_groups": true}})
	cfg := testdata.config({"schools": {"0790029C": {"uses_groups": true}}})
	lib.uses_groups with input as college with data.vigie.config as cfg
	not lib.uses_groups with input as object.union(testdata.base, {"school": {"uses_groups": false}})
	academy := testdata.config({"uses_groups": true})
	lib.uses_groups with input as college with data.vigie.config as academy
}

test_percent if {
	lib.percent(350, 713) == "49,1"
	lib.percent(1, 4) == "25"
}

test_inactive_division_is_ignored if {
	inp := testdata.with_facts({"divisions": {"INACTIFS": {"code": "Inactifs", "sts": {"present": false}, "siecle": {"present": true, "pupils": 0, "pupils_all": 3}, "ent": {"listed": false, "pupils": 0}}}})
	not lib.divisions.INACTIFS with input as inp
	count(lib.divisions) == 2 with input as inp
}

# inline is the tolerance test the checks write inline (see lib.allowed).
inline(value, reference) if {
	diff := abs(value - reference)
	diff > lib.tolerance_min
	(diff - 1) * 100 >= lib.tolerance_pct * reference
} else := false

# Every reference up to 60 and the values around it, where the boundary is.
matches_allowed if {
	every reference in numbers.range(0, 60) {
		every value in numbers.range(max([0, reference - 12]), reference + 12) {
			# A variable, not parentheses: opa fmt (v1.22.3) drops the parentheses around a
			# comparison used as an operand, which changes the meaning.
			expected := abs(value - reference) > lib.allowed(reference)
			inline(value, reference) == expected
		}
	}
}

test_inline_tolerance_matches_allowed if {
	matches_allowed with input as testdata.base
	matches_allowed with input as testdata.base with data.vigie.config as testdata.config({"tolerance_pct": 15, "tolerance_min": 3})
	matches_allowed with input as testdata.base with data.vigie.config as testdata.config({"tolerance_pct": 0, "tolerance_min": 0})
}

# Every check's meta is its own catalogue entry: the custom annotations of its package, whose
# id is the package path below vigie.checks. An academy's own checks, compiled beside these
# modules when a policy author tests a draft, are held to the same rule.
national_checks_with_meta := {
	"campaign.groups_not_carried_over",
	"ent.classes_populated",
	"ent.groups_populated",
	"ent.matches_siecle",
	"ent.professeur_principal",
	"ent.structure_known",
	"ent.teacher_links",
	"links.absent_ratio",
	"links.imported",
	"siecle.division_headcount",
	"siecle.groups_populated",
	"siecle.no_duplicate_pupils",
	"siecle.pupils_identified",
	"siecle.pupils_in_one_division",
	"siecle.structure_exported",
	"sts.division_headcount",
	"sts.divisions_present",
	"sts.group_headcount",
	"sts.group_well_formed",
	"sts.groups_present",
	"sts.pedagogical_team",
	"sts.professeur_principal",
	"sts.service_teacher_known",
}

test_every_check_reads_its_own_catalogue_entry if {
	metas := {concat(".", [family, name]): m | some family, name; m := data.vigie.checks[family][name].meta}

	# Every national check but campaign.sources_fresh, which needs none.
	every id in national_checks_with_meta {
		metas[id]
	}
	every id, m in metas {
		m.id == id
	}
}

test_custom_reads_the_package_annotations if {
	chain := [
		{"path": ["vigie", "checks", "a", "b", "meta"], "annotations": {"scope": "rule", "title": "x"}},
		{"path": ["vigie", "checks", "a", "b"], "annotations": {"scope": "package", "custom": {"id": "a.b", "needs": ["sts"]}}},
	]
	lib.custom(chain) == {"id": "a.b", "needs": ["sts"]}
}

test_plural_agrees_in_french if {
	lib.plural(0, "groupe vide", "groupes vides") == "0 groupe vide"
	lib.plural(1, "groupe vide", "groupes vides") == "1 groupe vide"
	lib.plural(2, "groupe vide", "groupes vides") == "2 groupes vides"
}
