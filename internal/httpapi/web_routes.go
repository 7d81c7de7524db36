package httpapi

import "net/http"

// Actions of the policy editor (policies/authz knows them).
const (
	webPolicyRead Action = "policy.read"    // open the policy editor
	webPolicyEdit Action = "policy.edit"    // check a draft (errors and lint at their lines)
	webPolicyTest Action = "policy.test"    // run the Rego tests of a draft
	webPolicyPrev Action = "policy.preview" // preview a draft's impact on every school
	pagesAcademy         = "/academies/:academy"
	pagesSchool          = pagesAcademy + "/etablissements/:uai"
)

// pageRoutes lists the web interface's routes with the action each needs. They are
// installed with the API's routes (same middleware) but kept out of the API's route table:
// they are not part of the OpenAPI document.
func (s *Server) pageRoutes() []route {
	return []route{
		{http.MethodGet, "/static/*", ActionPublic, s.serveStatic, classNormal},
		{http.MethodGet, "/", ActionPublic, s.pageHome, classNormal},
		{http.MethodGet, "/connexion", ActionPublic, s.pageLogin, classNormal},
		{http.MethodPost, "/connexion", ActionPublic, s.pageLoginSubmit, classNormal},
		{http.MethodPost, "/deconnexion", ActionLogout, s.pageLogout, classNormal},

		// Supervisors: the academy view, the school list, the audit log.
		{http.MethodGet, pagesAcademy, ActionSummaryRead, s.pageAcademy, classNormal},
		{http.MethodGet, pagesAcademy + "/etablissements", ActionSchoolList, s.pageSchools, classNormal},
		{http.MethodGet, pagesAcademy + "/journal", ActionAuditRead, s.pageAcademyAudit, classNormal},

		// School admins (and supervisors): the school page, attestations.
		{http.MethodGet, pagesSchool, ActionSchoolRead, s.pageSchool, classNormal},
		{http.MethodPost, pagesSchool + "/etapes/:step/attester", ActionAttestationCreate, s.pageAttest, classNormal},
		{http.MethodPost, pagesSchool + "/etapes/:step/retirer", ActionAttestationCreate, s.pageWithdraw, classNormal},
		{http.MethodPost, pagesSchool + "/evaluer", ActionRunTrigger, s.pageEvaluate, classLong},
		{http.MethodPost, pagesSchool + "/depot", ActionSchoolUpload, s.pageUpload, classFormUpload},

		// Policy authors: the editor; checks, tests and previews of a draft answer JSON.
		{http.MethodGet, pagesAcademy + "/regles", webPolicyRead, s.pagePolicies, classNormal},
		{http.MethodPost, pagesAcademy + "/regles/verifier", webPolicyEdit, s.pagePolicyCheck, classNormal},
		{http.MethodPost, pagesAcademy + "/regles/tests", webPolicyTest, s.pagePolicyTests, classLong},
		{http.MethodPost, pagesAcademy + "/regles/apercu", webPolicyPrev, s.pagePolicyPreview, classLong},

		// Everyone: one's account.
		{http.MethodGet, "/compte", ActionSelfRead, s.pageAccount, classNormal},
		{http.MethodPost, "/compte/jetons", ActionTokens, s.pageTokenCreate, classNormal},
		{http.MethodPost, "/compte/jetons/:id/revoquer", ActionTokens, s.pageTokenRevoke, classNormal},
		{http.MethodPost, "/compte/notifications", ActionNotificationPrefs, s.pageNotifications, classNormal},

		// Platform administrators.
		{http.MethodGet, "/admin", ActionUserList, s.pageAdmin, classNormal},
		{http.MethodPost, "/admin/academies", ActionAcademyCreate, s.pageAdminAcademy, classNormal},
		{http.MethodPost, "/admin/utilisateurs", ActionUserCreate, s.pageAdminUser, classNormal},
		{http.MethodPost, "/admin/habilitations", ActionGrantCreate, s.pageAdminGrant, classNormal},
		{http.MethodPost, "/admin/utilisateurs/:id/habilitations/:grant/retirer", ActionGrantDelete, s.pageAdminRevoke, classNormal},
		{http.MethodGet, "/admin/journal", ActionAuditRead, s.pagePlatformAudit, classNormal},
	}
}
