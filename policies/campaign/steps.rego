# METADATA
# scope: package
# title: Avancement des 13 étapes de la campagne
# description: >-
#   Déduit, pour un établissement, ce que ses fichiers montrent de chaque étape de la campagne
#   (de la bascule STS-Web à l'alimentation de l'annuaire fédérateur) : terminée (done), en
#   cours (in_progress) ou non commencée (not_started), avec la preuve en français et l'heure
#   d'export du fichier qui la donne. Une étape que les fichiers ne montrent pas n'a pas
#   d'observation : l'établissement peut l'attester. Vigie combine ensuite les observations, les
#   attestations, les dépendances entre étapes et les échéances de l'académie.
#
#   Entrée : celle des contrôles (uai, school_year, now, today, school, facts) plus report :
#   {"status": ..., "checks": {"<id>": {"status": "pass|fail|unknown|error|exempt", "items": n}}},
#   les résultats du dernier rapport de l'établissement.
package vigie.campaign

# observations: one object per step the files tell something about:
# {"step": n, "state": "done|in_progress|not_started", "evidence": "...", "at": "RFC 3339"}.
observations contains object.union({"step": 1}, step_1) if step_1

observations contains object.union({"step": 2}, step_2) if step_2

observations contains object.union({"step": 3}, step_3) if step_3

observations contains object.union({"step": 4}, step_4) if step_4

observations contains object.union({"step": 5}, step_5) if step_5

observations contains object.union({"step": 6}, step_6) if step_6

observations contains object.union({"step": 7}, step_7) if step_7

observations contains object.union({"step": 8}, step_8) if step_8

observations contains object.union({"step": 9}, step_9) if step_9

observations contains object.union({"step": 10}, step_10) if step_10

observations contains object.union({"step": 11}, step_11) if step_11

observations contains object.union({"step": 12}, step_12) if step_12

observations contains object.union({"step": 13}, step_13) if step_13

# --- helpers ---------------------------------------------------------------------------

sources := object.get(input, ["facts", "sources"], {})

has(s) if sources[s]

# current: the source is of the campaign's school year (a file that declares none counts).
current(s) if {
	has(s)
	object.get(sources[s], "school_year", 0) in {0, input.school_year}
}

export_ns(s) := time.parse_rfc3339_ns(sources[s].exported_at)

# at: the latest export time of the given present sources, as RFC 3339.
at(names) := time.format([max([export_ns(s) | some s in names; has(s)]), "UTC", "2006-01-02T15:04:05Z07:00"])

fr_date(s) := time.format([export_ns(s), "Europe/Paris", "02/01/2006"])

school_year_label(y) := sprintf("%d-%d", [y, y + 1])

status(id) := object.get(input, ["report", "checks", id, "status"], "none")

items(id) := object.get(input, ["report", "checks", id, "items"], 0)

observe(state, evidence, names) := {"state": state, "evidence": evidence, "at": at(names)}

# plural writes a count with its noun in agreement, « 1 groupe vide », « 2 groupes vides »:
# French takes the singular for 0 and 1.
plural(n, one, many) := sprintf("%d %s", [n, one]) if {
	n < 2
} else := sprintf("%d %s", [n, many])

facts := object.get(input, "facts", {})

sts_divisions := [d | some d in object.get(facts, "divisions", {}); d.sts.present]

sts_groups := [g | some g in object.get(facts, "groups", {}); g.sts.present]

# --- 1. Bascule d'année (STS-Web) ------------------------------------------------------

step_1 := observe("in_progress", sprintf("%s dans STS-Web alors que les groupes sont gérés dans EDT : à supprimer", [plural(items("campaign.groups_not_carried_over"), "groupe de l'an dernier reconduit", "groupes de l'an dernier reconduits")]), ["sts"]) if {
	current("sts")
	status("campaign.groups_not_carried_over") == "fail"
} else := observe("done", sprintf("Export STS-Web de l'année %s du %s", [school_year_label(input.school_year), fr_date("sts")]), ["sts"]) if {
	current("sts")
} else := observe("not_started", sprintf("Le dernier export STS-Web (%s) n'est pas de l'année %s : bascule non faite", [fr_date("sts"), school_year_label(input.school_year)]), ["sts"]) if {
	has("sts")
}

# --- 2 à 4. Nomenclatures --------------------------------------------------------------

# The divisions of STS-Web carry MEF codes once the nomenclatures were profiled (step 4).
mefs_in_sts if {
	current("sts")
	some d in sts_divisions
	count(d.sts.mefs) > 0
}

step_4 := observe("done", sprintf("Les divisions de STS-Web portent leurs formations (MEF) : nomenclatures transmises à STS-Web (export du %s)", [fr_date("sts")]), ["sts"]) if {
	mefs_in_sts
}

step_3 := observe("done", sprintf("Nomenclatures exportées de SIECLE le %s", [fr_date("siecle_nomenclature")]), ["siecle_nomenclature"]) if {
	current("siecle_nomenclature")
} else := object.union(step_4, {"evidence": "Déduite de l'étape 4 : les nomenclatures sont dans STS-Web"}) if {
	step_4
}

step_2 := object.union(step_3, {"evidence": "Déduite de l'étape 3 : les nomenclatures de l'académie ont été sélectionnées"}) if {
	step_3
}

# --- 5. Divisions (STS-Web) ------------------------------------------------------------

step_5 := observe("done", sprintf("%s dans STS-Web (export du %s)", [plural(count(sts_divisions), "division", "divisions"), fr_date("sts")]), ["sts"]) if {
	status("sts.divisions_present") == "pass"
} else := observe("not_started", "Aucune division dans STS-Web", ["sts"]) if {
	status("sts.divisions_present") == "fail"
}

# --- 6. Structure exportée de STS-Web vers SIECLE-BEE ----------------------------------

step_6 := observe("done", "La structure de SIECLE-BEE correspond à celle de STS-Web", ["sts", "siecle", "siecle_structures"]) if {
	status("siecle.structure_exported") == "pass"
} else := observe("in_progress", sprintf("%s entre STS-Web et SIECLE-BEE : exporter la structure et les services vers SIECLE", [plural(items("siecle.structure_exported"), "division ou groupe différent", "divisions ou groupes différents")]), ["sts", "siecle", "siecle_structures"]) if {
	status("siecle.structure_exported") == "fail"
}

# --- 7. Inscription des élèves (SIECLE-BEE) --------------------------------------------

active_pupils := object.get(facts, ["pupils", "active"], 0)

step_7 := observe("not_started", "Aucun élève actif dans SIECLE-BEE", ["siecle"]) if {
	current("siecle")
	active_pupils == 0
} else := observe(
	"in_progress", sprintf("%s dans SIECLE-BEE, dont %s : élève sans division ou dans plusieurs, ou en double", [
		plural(active_pupils, "élève actif", "élèves actifs"),
		plural(items("siecle.pupils_in_one_division") + items("siecle.no_duplicate_pupils"), "anomalie", "anomalies"),
	]),
	["siecle"],
) if {
	current("siecle")
	some id in ["siecle.pupils_in_one_division", "siecle.no_duplicate_pupils"]
	status(id) == "fail"
} else := observe("done", sprintf("%s dans SIECLE-BEE (export du %s)", [plural(active_pupils, "élève actif", "élèves actifs"), fr_date("siecle")]), ["siecle"]) if {
	current("siecle")
}

# --- 8 et 9. Exports vers le logiciel d'emploi du temps --------------------------------

# No file shows these exports; a later step that needs them does.
step_8 := object.union(step_11, {"evidence": "Déduite de l'étape 11 : l'emploi du temps remonté dans STS-Web contient ses divisions et enseignants"}) if {
	step_11.state == "done"
} else := object.union(step_10, {"evidence": "Déduite de l'étape 10 : des groupes construits dans EDT sont dans STS-Web"}) if {
	step_10.state == "done"
}

links_pupils := object.get(facts, ["pupils", "links_listed"], 0)

step_9 := observe("done", sprintf("Déduite de l'étape 12 : le fichier de liens d'EDT du %s nomme %s", [fr_date("links"), plural(links_pupils, "élève", "élèves")]), ["links"]) if {
	current("links")
	links_pupils > 0
}

# --- 10. Emploi du temps et groupes (EDT) ----------------------------------------------

step_10 := observe("done", sprintf("%s dans STS-Web", [plural(count(sts_groups), "groupe construit dans EDT et présent", "groupes construits dans EDT et présents")]), ["sts"]) if {
	current("sts")
	count(sts_groups) > 0
} else := observe("done", "Établissement sans groupes : emploi du temps remonté dans STS-Web", ["sts"]) if {
	status("sts.groups_present") == "pass"
	status("sts.pedagogical_team") == "pass"
} else := observe("not_started", "Aucun groupe dans STS-Web", ["sts"]) if {
	status("sts.groups_present") == "fail"
}

# --- 11. Export de l'emploi du temps vers STS-Web --------------------------------------

divisions_with_services := [d | some d in sts_divisions; d.sts.services > 0]

step_11 := observe("done", "Chaque division a des services avec enseignant dans STS-Web", ["sts"]) if {
	status("sts.pedagogical_team") == "pass"
} else := observe("in_progress", sprintf("%s sans service avec enseignant dans STS-Web", [plural(items("sts.pedagogical_team"), "division", "divisions")]), ["sts"]) if {
	status("sts.pedagogical_team") == "fail"
	count(divisions_with_services) > 0
} else := observe("not_started", "Aucun service dans STS-Web : l'emploi du temps n'y a pas été exporté", ["sts"]) if {
	status("sts.pedagogical_team") == "fail"
}

# --- 12. Liens élèves-groupes vers SIECLE-BEE ------------------------------------------

step_12 := observe("in_progress", "Les groupes ont changé dans STS-Web depuis le dernier fichier de liens : réexporter les liens depuis EDT", ["sts", "links"]) if {
	status("links.imported") == "fail"
} else := observe("done", "Tous les groupes de STS-Web ont des élèves dans SIECLE-BEE", ["sts", "siecle", "links"]) if {
	status("siecle.groups_populated") == "pass"
	status("links.imported") != "fail"
} else := observe("in_progress", sprintf("Fichier de liens du %s reçu ; %s dans SIECLE-BEE (les liens sont visibles le lendemain de l'import)", [fr_date("links"), plural(items("siecle.groups_populated"), "groupe encore vide", "groupes encore vides")]), ["siecle", "links"]) if {
	status("siecle.groups_populated") == "fail"
	current("links")
} else := observe("not_started", sprintf("Aucun fichier de liens et %s dans SIECLE-BEE", [plural(items("siecle.groups_populated"), "groupe vide", "groupes vides")]), ["sts", "siecle"]) if {
	status("siecle.groups_populated") == "fail"
}

# --- 13. Annuaire fédérateur, ENT ------------------------------------------------------

step_13 := observe("not_started", "L'établissement est absent de l'annuaire fédérateur", ["ent"]) if {
	status("ent.structure_known") == "fail"
} else := observe("done", sprintf("Annuaire fédérateur du %s : classes et groupes peuplés", [fr_date("ent")]), ["ent"]) if {
	status("ent.structure_known") == "pass"
	status("ent.classes_populated") == "pass"
	status("ent.groups_populated") == "pass"
} else := observe(
	"in_progress", sprintf("Annuaire fédérateur du %s : %s et %s sans élève", [
		fr_date("ent"),
		plural(items("ent.classes_populated"), "classe", "classes"),
		plural(items("ent.groups_populated"), "groupe", "groupes"),
	]),
	["ent"],
) if {
	status("ent.structure_known") == "pass"
}
