package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/xuri/excelize/v2"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
)

// The academy view exported for spreadsheets: one row per school, French column names.
var exportColumns = []string{
	"UAI", "Établissement", "Type", "Département", "Bassin", "Statut", "Évalué le",
	"Bloquants", "Erreurs", "Avertissements", "Indéterminés", "Actions à faire", "Élèves concernés",
	"Contrôles à traiter", "Identifiants des contrôles",
}

var statusLabels = map[string]string{
	"ready": "Prêt", "at_risk": "À risque", "not_ready": "Non prêt", store.StatusNone: "Non évalué",
}

// checkTitle is a check's French title as the pages show it; an unknown check (an academy's
// own, since removed) keeps its id.
func (s *Server) checkTitle(id string) string {
	ch, _ := s.deps.Checks.Check(id)
	return orDefault(frenchTypo(ch.Title), id)
}

// exportRows reads the schools of the academy view (with the list's filters) and the checks
// each must attend to (failing, unknown or in error).
func (s *Server) exportRows(c *echo.Context) ([][]any, error) {
	g := grantOf(c)
	f, err := schoolFilter(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	rows, _, err := s.deps.Store.ListSchoolStatuses(ctx, g.scope, g.academy.ID, f)
	if err != nil {
		return nil, err
	}
	checks, err := s.deps.Store.LatestCheckResults(ctx, g.scope, g.academy.ID, time.Time{})
	if err != nil {
		return nil, err
	}
	out := make([][]any, 0, len(rows))
	for _, r := range rows {
		sj := toSchoolJSON(r)
		var todo, ids []string
		for _, ch := range checks[r.UAI] {
			if ch.Status == "fail" || ch.Status == "unknown" || ch.Status == "error" {
				ids = append(ids, ch.CheckID)
				todo = append(todo, s.checkTitle(ch.CheckID))
			}
		}
		evaluated := ""
		if sj.EvaluatedAt != nil {
			evaluated = sj.EvaluatedAt.In(campaign.Paris).Format("02/01/2006 15:04")
		}
		out = append(out, []any{r.UAI, r.Name, r.Kind.Label(), r.Departement, r.Bassin, statusLabels[sj.Status], evaluated,
			sj.Blockers, sj.Errors, sj.Warnings, sj.Unknown, sj.Todo, sj.PupilsAffected,
			strings.Join(todo, " ; "), strings.Join(ids, ", ")})
	}
	return out, nil
}

func (s *Server) exportName(c *echo.Context, ext string) string {
	return fmt.Sprintf("vigie-%s-%s.%s", grantOf(c).academy.Code, s.now().In(campaign.Paris).Format("2006-01-02"), ext)
}

// exportCSV writes the academy view as CSV for French spreadsheets: UTF-8 with a byte order
// mark (so that accents open correctly), ';' separators, CRLF line ends.
func (s *Server) exportCSV(c *echo.Context) error {
	rows, err := s.exportRows(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+s.exportName(c, "csv")+`"`)
	c.Response().WriteHeader(http.StatusOK)
	w := c.Response()
	if _, err := w.Write([]byte("\xEF\xBB\xBF")); err != nil {
		return nil // the client went away
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	_ = cw.Write(exportColumns)
	rec := make([]string, len(exportColumns))
	for _, r := range rows {
		for i, v := range r {
			rec[i] = csvCell(fmt.Sprint(v))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return nil
}

// csvCell defuses spreadsheet formulas in text cells (a school name starting with '=').
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportXLSX writes the academy view as an Excel workbook, streamed row by row.
func (s *Server) exportXLSX(c *echo.Context) error {
	rows, err := s.exportRows(c)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Établissements"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	_ = sw.SetColWidth(2, 2, 40)
	_ = sw.SetColWidth(14, 14, 80)
	_ = sw.SetColWidth(15, 15, 40)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx panes: %w", err)
	}
	head := make([]any, len(exportColumns))
	for i, h := range exportColumns {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return fmt.Errorf("xlsx header: %w", err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, r); err != nil {
			return fmt.Errorf("xlsx row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	h := c.Response().Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+s.exportName(c, "xlsx")+`"`)
	c.Response().WriteHeader(http.StatusOK)
	_, _ = f.WriteTo(c.Response())
	return nil
}
