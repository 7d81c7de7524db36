# METADATA
# scope: package
# title: Enseignants des services connus de STS-Web
# description: >-
#   Un service qui cite un enseignant inconnu ou sans fonction (congé, départ) est un service
#   résiduel : il n'arrive pas dans l'ENT et les élèves n'ont pas d'enseignant pour cette
#   matière.
# custom:
#   id: sts.service_teacher_known
#   severity: warning
#   step: 11
#   needs: [sts]
#   software: STS-Web
#   who: Secrétariat ou gestionnaire des personnels
#   fix: >-
#     Dans STS-Web, vérifier la fiche de l'enseignant cité (fonction, présence dans
#     l'établissement) ; sinon corriger le service dans EDT et refaire la remontée des services
#     vers STS-Web.
#   fix_stage: sts
#   blocked_by: []
package vigie.checks.sts.service_teacher_known

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

# One item per service, named by its division or group: where the fix is made.
failing := {lib.item(i.structure, "service", detail(i)) |
	some i in input.facts.teachers.service_issues
}

reasons := {
	"unknown_teacher": "est inconnu de STS-Web",
	"no_function": "n'a pas de fonction dans STS-Web (congé, départ ?)",
}

detail(i) := sprintf("%s %s, matière %s : l'enseignant %s %s", [
	object.get(lib.structure_kind_label, i.structure_kind, i.structure_kind),
	i.structure,
	i.subject,
	i.teacher_id,
	object.get(reasons, i.reason, i.reason),
])
