package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/fact"
)

// The school page's upload form without JavaScript: the form posts here with its CSRF token
// as the first field; the files go through the same import as the API (importUpload), then
// the browser is sent back to the school page, which reads what each file became from the
// imports named in the query (?depot=12,13&deja=13) and says it in French. With JavaScript,
// vigie.js posts to the API instead and shows the same result in place.

// maxDepositShown caps the imports a school page reads back from its query.
const maxDepositShown = maxUploadFiles

// pageUpload imports the files of the upload form for the school of the path.
func (s *Server) pageUpload(c *echo.Context) error {
	g := grantOf(c)
	if _, err := s.schoolInScope(c.Request().Context(), g); err != nil {
		return err
	}
	out, err := s.importUpload(c, g.uai, ActionSchoolUpload)
	if err != nil {
		return err
	}
	var ids, dups []string
	for _, f := range out.Files {
		id := strconv.FormatInt(f.Import.ID, 10)
		ids = append(ids, id)
		if f.Duplicate {
			dups = append(dups, id)
		}
	}
	q := url.Values{"depot": {strings.Join(ids, ",")}}
	if len(dups) > 0 {
		q.Set("deja", strings.Join(dups, ","))
	}
	base := "/academies/" + url.PathEscape(g.academy.Code) + "/etablissements/" + url.PathEscape(g.uai)
	return c.Redirect(http.StatusSeeOther, base+"?"+q.Encode()+"#depot")
}

// depositLine is one file of an upload as the school page tells it.
type depositLine struct {
	File string
	Text string // « STS-Web (sts_emp) », « déjà reçu, ignoré », or why it was refused
}

// depositView is the result of the upload the page comes back from.
type depositView struct {
	Accepted []depositLine
	Refused  []depositLine
}

// depositOf reads the result of an upload from the query of the school page: the imports it
// names, of this school only (others, or ids that are not numbers, are skipped); nil when the
// query names none.
func (s *Server) depositOf(c *echo.Context, g *grant) *depositView {
	raw := c.QueryParam("depot")
	if raw == "" {
		return nil
	}
	dup := map[string]bool{}
	for _, id := range strings.Split(c.QueryParam("deja"), ",") {
		dup[id] = true
	}
	out := &depositView{}
	for i, v := range strings.Split(raw, ",") {
		id, err := strconv.ParseInt(v, 10, 64)
		if i == maxDepositShown || err != nil {
			break
		}
		im, err := s.deps.Store.ImportByID(c.Request().Context(), g.scope, id)
		if err != nil || im.AcademyID != g.academy.ID || im.UAI != g.uai {
			continue
		}
		switch {
		case im.Outcome != "accepted":
			text := im.Error
			if !strings.HasPrefix(text, im.FileName) { // the reason usually names the file already
				text = im.FileName + " : " + text
			}
			out.Refused = append(out.Refused, depositLine{File: im.FileName, Text: text})
		case dup[v]:
			out.Accepted = append(out.Accepted, depositLine{File: im.FileName, Text: "déjà reçu, ignoré"})
		default:
			out.Accepted = append(out.Accepted, depositLine{File: im.FileName, Text: "accepté (" + fact.Source(im.Kind).Label() + ")"})
		}
	}
	if len(out.Accepted)+len(out.Refused) == 0 {
		return nil
	}
	return out
}
