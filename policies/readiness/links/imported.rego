# METADATA
# scope: package
# title: Liens élèves-groupes importés depuis la dernière modification des groupes
# description: >-
#   Chaque fois que les groupes changent dans STS-Web, les liens élèves-groupes doivent être
#   réexportés d'EDT et réimportés dans SIECLE-BEE ; sinon les nouveaux groupes restent vides
#   dans SIECLE-BEE, dans l'ENT puis au GAR. Un export STS-Web ne porte pas sa date : la date
#   de la dernière modification des groupes n'est connue que si Vigie a reçu, cette année, un
#   export STS-Web antérieur avec d'autres groupes, et le fichier de liens doit alors lui être
#   postérieur. Sinon, un fichier de liens plus ancien que l'export STS-Web doit contenir chaque
#   groupe de STS-Web ayant un effectif prévu ou une division.
# custom:
#   id: links.imported
#   severity: error
#   step: 12
#   needs: [sts, links]
#   software: EDT puis SIECLE-BEE
#   who: Responsable de l'emploi du temps, puis secrétariat de scolarité
#   fix: >-
#     Refaire l'export des liens dans EDT (« Imports/Exports > SIECLE > Exporter les liens
#     élèves/groupes ») et l'importer dans SIECLE-BEE (« Importations > Lien élève-groupe
#     depuis logiciel privé »), puis déposer le fichier dans Vigie. Les liens sont visibles
#     dans SIECLE-BEE le lendemain de l'import.
#   fix_stage: links
#   blocked_by: [sts.groups_present, siecle.structure_exported]
package vigie.checks.links.imported

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

# A school without groups has no links to import, whatever the links file says.
#
# An sts_emp carries no export date: its time (zip entry, file, upload) may be long after the
# groups last changed, so it never stands for that change. The change time is known only when
# Vigie saw an earlier STS-Web export of the year with other groups (history); then the links
# file must be exported after it. Unknown, a links file exported after the STS-Web export is
# after any change that export shows; an older one must contain every STS-Web group.
result := lib.unknown(["sts"]) if {
	not lib.usable("sts")
} else := {"status": "pass", "items": [], "note": "Non applicable : aucun groupe dans STS-Web."} if {
	count(lib.sts_groups) == 0
} else := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(before_change) if {
	groups_changed_ns
} else := {"status": "pass", "items": []} if {
	lib.export_ns.links >= lib.export_ns.sts
} else := lib.verdict(absent) if {
	count(absent) > 0
} else := {"status": "pass", "items": [], "note": covered_note}

# Defined only when Vigie saw the groups change: the zero time (or no value) means unknown.
groups_changed_ns := ns if {
	ns := time.parse_rfc3339_ns(input.facts.history.sts_groups_changed_at)
	ns > 0
}

links_file := object.get(lib.sources.links, "file", "links")

before_change := [lib.item(links_file, "source", detail)] if {
	lib.export_ns.links < groups_changed_ns
	detail := sprintf("dernier fichier de liens exporté d'EDT le %s, avant la dernière modification des groupes dans STS-Web (%s)", [
		lib.fr_datetime(lib.export_ns.links),
		lib.fr_datetime(groups_changed_ns),
	])
} else := []

# The STS-Web groups a links file can cover: with planned pupils or a division to draw them
# from. A group with neither has no pupil to link (sts.group_well_formed reports it).
linkable := {k |
	some k, g in lib.sts_groups
	linkable_group(g)
}

linkable_group(g) if g.sts.planned > 0

linkable_group(g) if count(g.sts.divisions) > 0

absent := {lib.item(lib.code(k, g), "group", absent_detail(k)) |
	some k in linkable
	g := lib.sts_groups[k]
	not g.links.present
}

previous_year := {k | some k in input.facts.history.previous_year_groups}

# A code of last year's groups may also be a group carried over at rollover
# (campaign.groups_not_carried_over): the wording says both.
absent_detail(k) := sprintf("groupe de l'an dernier absent du dernier fichier de liens (exporté le %s, avant l'export STS-Web du %s) : recréé dans STS-Web après l'export des liens, ou reconduit à la bascule", [
	lib.fr_datetime(lib.export_ns.links),
	lib.fr_datetime(lib.export_ns.sts),
]) if {
	previous_year[k]
} else := sprintf("groupe créé dans STS-Web après l'export des liens : absent du dernier fichier de liens (exporté le %s)", [lib.fr_datetime(lib.export_ns.links)])

covered_note := sprintf("Date de la dernière modification des groupes inconnue (aucun export STS-Web antérieur de l'année avec d'autres groupes) : le dernier fichier de liens, exporté le %s avant l'export STS-Web du %s, contient chacun des groupes de STS-Web ayant un effectif prévu ou une division (%s).", [
	lib.fr_datetime(lib.export_ns.links),
	lib.fr_datetime(lib.export_ns.sts),
	lib.plural(count(linkable), "groupe", "groupes"),
])
