# METADATA
# scope: package
# title: Élèves présents dans le fichier de liens élèves-groupes
# description: >-
#   Un élève actif absent du fichier de liens n'est inscrit dans aucun groupe : dans l'ENT et
#   au GAR, il n'a ni ses langues, ni ses spécialités, ni leurs manuels numériques.
# custom:
#   id: links.absent_ratio
#   severity: warning
#   step: 12
#   needs: [links, siecle]
#   software: EDT
#   who: Responsable de l'emploi du temps
#   fix: >-
#     Dans EDT, compléter l'affectation dans leurs groupes des élèves cités, puis refaire
#     l'export des liens (« Imports/Exports > SIECLE > Exporter les liens élèves/groupes ») et
#     leur import dans SIECLE-BEE (« Importations > Lien élève-groupe depuis logiciel privé »).
#   fix_stage: links
#   blocked_by: [links.imported]
package vigie.checks.links.absent_ratio

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

active := input.facts.pupils.active

absent := [p | some p in input.facts.pupils.links_absent]

summary := sprintf("%s du dernier fichier de liens sur %s (%s %%, seuil %d %%)", [
	lib.plural(count(absent), "élève absent", "élèves absents"),
	lib.plural(active, "élève actif", "élèves actifs"),
	lib.percent(count(absent), active),
	lib.absent_ratio_pct,
])

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := {"status": "pass", "items": [], "note": "Aucun élève actif dans SIECLE-BEE : aucun ne peut manquer au fichier de liens."} if {
	active == 0
} else := {"status": "fail", "items": items, "summary": summary} if {
	count(absent) * 100 > lib.absent_ratio_pct * active
} else := {"status": "pass", "items": [], "summary": summary}

items := {lib.item(p.id, "pupil", sprintf("%s : absent du fichier de liens", [lib.pupil_label(p)])) | some p in absent}
