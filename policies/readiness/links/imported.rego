# METADATA
# scope: package
# title: Liens élèves-groupes importés depuis la dernière modification des groupes
# description: >-
#   Chaque fois que les groupes changent dans STS-Web, les liens élèves-groupes doivent être
#   réexportés d'EDT et réimportés dans SIECLE-BEE ; sinon les nouveaux groupes restent vides
#   dans SIECLE-BEE, dans l'ENT puis au GAR.
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
result := lib.unknown(["sts"]) if {
	not lib.usable("sts")
} else := {"status": "pass", "items": [], "note": "Non applicable : aucun groupe dans STS-Web."} if {
	count(lib.sts_groups) == 0
} else := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

# When Vigie has no date for the last change of groups, the STS-Web export time stands in.
groups_changed_ns := ns if {
	ns := time.parse_rfc3339_ns(input.facts.history.sts_groups_changed_at)
	ns > 0
} else := lib.export_ns.sts

failing := [lib.item(object.get(lib.sources.links, "file", "links"), "source", detail)] if {
	lib.export_ns.links < groups_changed_ns
	detail := sprintf("dernier fichier de liens exporté d'EDT le %s, avant la dernière modification des groupes dans STS-Web (%s)", [
		lib.fr_datetime(lib.export_ns.links),
		lib.fr_datetime(groups_changed_ns),
	])
} else := []
