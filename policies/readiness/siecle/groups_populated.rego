# METADATA
# scope: package
# title: Groupes peuplés dans SIECLE-BEE
# description: >-
#   Un groupe sans élève dans SIECLE-BEE arrive vide dans l'ENT puis au GAR : les élèves de ce
#   groupe ouvrent leurs manuels numériques et n'y trouvent rien.
# custom:
#   id: siecle.groups_populated
#   severity: blocker
#   step: 12
#   needs: [sts, siecle]
#   software: EDT puis SIECLE-BEE
#   who: Responsable de l'emploi du temps, puis secrétariat de scolarité
#   fix: >-
#     Dans EDT, menu « Imports/Exports > SIECLE > Exporter les liens élèves/groupes » (valider
#     le passage en usage exclusif, enregistrer le fichier zip), puis dans SIECLE-BEE,
#     « Importations > Lien élève-groupe depuis logiciel privé » avec ce fichier. Les liens
#     sont visibles le lendemain ; les erreurs sont dans « Suivi des échanges > Logiciel privé -
#     Liens élève-groupe ».
#   fix_stage: links
#   blocked_by: [sts.groups_present, siecle.structure_exported]
package vigie.checks.siecle.groups_populated

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := {lib.item(lib.code(k, g), "group", detail(g)) |
	some k, g in lib.sts_groups
	g.siecle.pupils == 0
}

detail(g) := "aucun élève actif dans SIECLE-BEE : groupe absent de SIECLE-BEE" if {
	not g.siecle.present
} else := sprintf("aucun élève actif dans SIECLE-BEE (effectif prévu %d) ; %s dans le fichier de liens EDT : import dans SIECLE-BEE à faire ou à vérifier", [
	g.sts.planned,
	lib.plural(g.links.pupils, "élève", "élèves"),
]) if {
	g.links.pupils > 0
} else := sprintf("aucun élève actif dans SIECLE-BEE (effectif prévu %d)", [g.sts.planned])
