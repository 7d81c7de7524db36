package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
)

// schoolRow is one line of the schools table of the academy view.
type schoolRow struct {
	store.SchoolStatus
	Failing  []checkRef // checks failing, unknown or in error
	Forecast *store.SchoolForecast
	Cells    []heatCell // one per check of the catalogue, for the heat map
}

// heatCell is one school × check cell: a symbol and a word, never a colour alone.
type heatCell struct {
	Check  string
	Title  string // the check's French title
	Status string // pass, fail, unknown, error, exempt, monitor:..., or "" (not evaluated)
	Symbol string
	Word   string
	Class  string
}

var heatSymbols = map[string][3]string{ // symbol, word, CSS class
	"pass":    {"✓", "réussi", "vg-heat--pass"},
	"fail":    {"✗", "échoue", "vg-heat--fail"},
	"unknown": {"?", "indéterminé", "vg-heat--unknown"},
	"error":   {"!", "en erreur", "vg-heat--error"},
	"exempt":  {"D", "dérogation", "vg-heat--exempt"},
	"":        {"·", "non évalué", "vg-heat--none"},
}

func heatOf(check, status string) heatCell {
	sym, ok := heatSymbols[status]
	if strings.HasPrefix(status, "monitor:") {
		sym, ok = [3]string{"m", "surveillance (" + checkWords[strings.TrimPrefix(status, "monitor:")] + ")", "vg-heat--monitor"}, true
	}
	if !ok {
		sym = heatSymbols[""]
	}
	return heatCell{Check: check, Status: status, Symbol: sym[0], Word: sym[1], Class: sym[2]}
}

// checkRef is a check as a page names it: its French title, its id for experts.
type checkRef struct{ ID, Title string }

type statusCount struct {
	Key   string
	N     int
	Delta int // since yesterday's academy run
}

type academyPage struct {
	Academy    campaign.Academy
	Base       string // /academies/{code}
	Schools    int
	Counts     []statusCount
	Yesterday  string // the day the deltas compare with
	Rows       []schoolRow
	Total      int64
	Page       page
	Pages      []int
	LastPage   int
	Query      url.Values // the filters and sort in force
	Filter     store.SchoolStatusFilter
	Sorts      []sortColumn
	Checks     []checkColumn
	Depts      []string
	Bassins    []string
	Trend      template.HTML
	TrendRows  []store.TrendPoint
	CallFirst  []callFirstRow
	Runs       []store.Run
	LatestRun  *store.Run
	ExportCSV  string
	ExportXLSX string
}

type sortColumn struct {
	Key, Label string
	Sort       string // "ascending", "descending" or ""
	Href       string
}

type checkColumn struct {
	ID, Title, Severity string
	Failing             int
}

type callFirstRow struct {
	store.SchoolForecast
	Name string
}

// pageAcademy is the supervisors' academy view: counts and their change since yesterday,
// the filterable and sortable table of schools with their failing checks and forecast, the
// heat map of schools × checks, the trend of the campaign, who to call first, exports and
// the run history. The view is cached like the API's summaries (viewcache.go): recomputed
// when a run finishes, the registry changes, or after ten minutes.
func (s *Server) pageAcademy(c *echo.Context) error {
	g := grantOf(c)
	f, err := schoolFilter(c)
	if err != nil {
		return frenchQuery(err)
	}
	if f.Sort == "" {
		f.Sort = "status"
	}
	pg, err := pageParams(c)
	if err != nil {
		return frenchQuery(err)
	}
	f.Limit, f.Offset = pg.limit(), pg.offset()
	v, err := s.cachedView(c, "page-academy", func() (any, error) { return s.academyView(c, f, pg) })
	if err != nil {
		return err
	}
	out := v.(academyPage)
	if out.LastPage > 0 && pg.Page > out.LastPage { // past the end (filters changed): the last page
		return c.Redirect(http.StatusSeeOther, lastPageURL(c, out.LastPage)+"#etablissements")
	}
	return s.render(c, http.StatusOK, "academy", "Académie de "+g.academy.Name, out)
}

func (s *Server) academyView(c *echo.Context, f store.SchoolStatusFilter, pg page) (academyPage, error) {
	g := grantOf(c)
	ctx := c.Request().Context()
	base := "/academies/" + url.PathEscape(g.academy.Code)
	out := academyPage{Academy: g.academy, Base: base, Page: pg, Filter: f, Query: c.QueryParams()}

	sum, err := s.deps.Store.AcademySummary(ctx, g.scope, g.academy.ID)
	if err != nil {
		return out, err
	}
	out.Schools, out.LatestRun = sum.Schools, sum.LatestRun
	since := time.Date(campaign.SchoolYearOf(s.now()), time.August, 1, 0, 0, 0, 0, campaign.Paris)
	trend, err := s.deps.Store.AcademyTrend(ctx, g.scope, g.academy.ID, since)
	if err != nil {
		return out, err
	}
	var prev *store.TrendPoint
	if n := len(trend); n >= 2 {
		prev = &trend[n-2]
		out.Yesterday = prev.Day
	}
	for _, k := range []string{"not_ready", "at_risk", "ready", store.StatusNone} {
		sc := statusCount{Key: k, N: sum.ByStatus[k]}
		if prev != nil {
			switch k {
			case "ready":
				sc.Delta = sc.N - prev.Ready
			case "at_risk":
				sc.Delta = sc.N - prev.AtRisk
			case "not_ready":
				sc.Delta = sc.N - prev.NotReady
			}
		}
		if k == store.StatusNone && sc.N == 0 {
			continue
		}
		out.Counts = append(out.Counts, sc)
	}
	out.TrendRows = trend
	out.Trend = trendSVG(trend)

	rows, total, err := s.deps.Store.ListSchoolStatuses(ctx, g.scope, g.academy.ID, f)
	if err != nil {
		return out, err
	}
	out.Total = total
	out.LastPage = int((total + int64(pg.PerPage) - 1) / int64(pg.PerPage))
	for i := max(1, pg.Page-3); i <= min(out.LastPage, pg.Page+3); i++ {
		out.Pages = append(out.Pages, i)
	}
	// The checks of the schools of this page only: the heat map and the failing column.
	uais := make([]string, len(rows))
	for i, r := range rows {
		uais[i] = r.UAI
	}
	slices.Sort(uais)
	checks := map[string][]store.CheckResult{}
	if len(uais) > 0 {
		if checks, err = s.deps.Store.LatestCheckResults(ctx, g.scope.Narrow(g.academy.ID, uais...), g.academy.ID, time.Time{}); err != nil {
			return out, err
		}
	}
	forecasts, err := s.deps.Store.Forecasts(ctx, g.scope, g.academy.ID, store.ForecastFilter{})
	if err != nil {
		return out, err
	}
	byUAI := map[string]*store.SchoolForecast{}
	for i := range forecasts {
		byUAI[forecasts[i].UAI] = &forecasts[i]
	}
	ids := s.deps.Checks.IDs()
	titles := map[string]string{}
	for _, id := range ids {
		ch, _ := s.deps.Checks.Check(id)
		titles[id] = orDefault(frenchTypo(ch.Title), id)
	}
	failingPerCheck := map[string]int{}
	for _, cc := range sum.ByCheck {
		failingPerCheck[cc.CheckID] = cc.ByStatus["fail"] + cc.ByStatus["unknown"] + cc.ByStatus["error"]
	}
	for _, r := range rows {
		row := schoolRow{SchoolStatus: r, Forecast: byUAI[r.UAI]}
		status := map[string]string{}
		for _, cr := range checks[r.UAI] {
			status[cr.CheckID] = cr.Status
			if cr.Status == "fail" || cr.Status == "unknown" || cr.Status == "error" {
				row.Failing = append(row.Failing, checkRef{ID: cr.CheckID, Title: orDefault(titles[cr.CheckID], cr.CheckID)})
			}
		}
		for _, id := range ids {
			cell := heatOf(id, status[id])
			cell.Title = titles[id]
			row.Cells = append(row.Cells, cell)
		}
		out.Rows = append(out.Rows, row)
	}
	for _, id := range ids {
		ch, _ := s.deps.Checks.Check(id)
		out.Checks = append(out.Checks, checkColumn{ID: id, Title: titles[id], Severity: string(ch.Severity), Failing: failingPerCheck[id]})
	}
	out.Sorts = sortColumns(base, c.QueryParams(), f.Sort)

	all, _, err := s.deps.Store.ListSchools(ctx, g.scope, store.SchoolFilter{})
	if err != nil {
		return out, err
	}
	names := map[string]string{}
	depts, bassins := map[string]bool{}, map[string]bool{}
	for _, sc := range all {
		names[sc.UAI] = sc.Name
		if sc.AcademyID == g.academy.ID {
			depts[sc.Departement] = true
			if sc.Bassin != "" {
				bassins[sc.Bassin] = true
			}
		}
	}
	out.Depts, out.Bassins = sortedKeys(depts), sortedKeys(bassins)

	plain := make([]campaign.Forecast, len(forecasts))
	computed := map[string]store.SchoolForecast{}
	for i, f := range forecasts {
		plain[i] = f.Forecast
		computed[f.UAI] = f
	}
	for i, f := range campaign.CallFirst(plain) {
		if i == 10 {
			break
		}
		out.CallFirst = append(out.CallFirst, callFirstRow{SchoolForecast: computed[f.UAI], Name: names[f.UAI]})
	}

	runs, _, err := s.deps.Store.ListRuns(ctx, g.scope, g.academy.ID, store.RunFilter{AcademyOnly: true, Limit: 10})
	if err != nil {
		return out, err
	}
	out.Runs = runs
	q := c.QueryParams()
	q.Del("page")
	q.Del("per_page")
	out.ExportCSV = "/api/v1/academies/" + url.PathEscape(g.academy.Code) + "/export.csv?" + q.Encode()
	out.ExportXLSX = "/api/v1/academies/" + url.PathEscape(g.academy.Code) + "/export.xlsx?" + q.Encode()
	return out, nil
}

var sortLabels = [][2]string{{"name", "Établissement"}, {"status", "Statut"}, {"blockers", "Bloquants"}, {"todo", "À faire"},
	{"departement", "Département"}, {"kind", "Type"}, {"evaluated_at", "Dernière évaluation"}}

// sortColumns gives each sortable column its link (reversing the current sort) and its
// aria-sort value.
func sortColumns(base string, q url.Values, current string) []sortColumn {
	out := make([]sortColumn, 0, len(sortLabels))
	for _, sl := range sortLabels {
		col := sortColumn{Key: sl[0], Label: sl[1]}
		next := sl[0]
		switch current {
		case sl[0]:
			col.Sort, next = "ascending", "-"+sl[0]
		case "-" + sl[0]:
			col.Sort = "descending"
		}
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("sort", next)
		nq.Del("page")
		col.Href = base + "?" + nq.Encode() + "#etablissements"
		out = append(out, col)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// trendSVG draws the campaign trend as an accessible SVG: three lines (ready, at risk, not
// ready) with a marker shape per series, so that colour is not the only signal; the page
// shows the same numbers in a table.
func trendSVG(points []store.TrendPoint) template.HTML {
	if len(points) == 0 {
		return ""
	}
	const w, h, left, right, top, bottom = 720.0, 260.0, 44.0, 16.0, 16.0, 36.0
	maxY := 1
	for _, p := range points {
		maxY = max(maxY, p.Ready, p.AtRisk, p.NotReady)
	}
	maxY = ((maxY + 9) / 10) * 10
	x := func(i int) float64 {
		if len(points) == 1 {
			return left + (w-left-right)/2
		}
		return left + float64(i)*(w-left-right)/float64(len(points)-1)
	}
	y := func(v int) float64 { return top + (h-top-bottom)*(1-float64(v)/float64(maxY)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="vg-trend" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="trend-title trend-desc" xmlns="http://www.w3.org/2000/svg">`, w, h)
	first, last := points[0], points[len(points)-1]
	fmt.Fprintf(&b, `<title id="trend-title">Évolution des établissements prêts, à risque et non prêts</title>`)
	fmt.Fprintf(&b, `<desc id="trend-desc">Du %s au %s : %d prêts, %d à risque, %d non prêts au dernier jour.</desc>`,
		template.HTMLEscapeString(dayLabel(first.Day)), template.HTMLEscapeString(dayLabel(last.Day)), last.Ready, last.AtRisk, last.NotReady)
	for i := 0; i <= 4; i++ {
		v := maxY * i / 4
		fmt.Fprintf(&b, `<line class="vg-trend__grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, w-right, y(v), y(v))
		fmt.Fprintf(&b, `<text class="vg-trend__axis" x="%.1f" y="%.1f" text-anchor="end">%d</text>`, left-6, y(v)+4, v)
	}
	step := max(1, len(points)/6)
	for i := 0; i < len(points); i += step {
		fmt.Fprintf(&b, `<text class="vg-trend__axis" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x(i), h-12, template.HTMLEscapeString(dayLabel(points[i].Day)))
	}
	series := []struct {
		class  string
		label  string
		marker string
		value  func(store.TrendPoint) int
	}{
		{"vg-trend--ready", "Prêts", "circle", func(p store.TrendPoint) int { return p.Ready }},
		{"vg-trend--risk", "À risque", "square", func(p store.TrendPoint) int { return p.AtRisk }},
		{"vg-trend--notready", "Non prêts", "triangle", func(p store.TrendPoint) int { return p.NotReady }},
	}
	for si, se := range series {
		var pts []string
		for i, p := range points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(se.value(p))))
		}
		dash := []string{"", ` stroke-dasharray="6 3"`, ` stroke-dasharray="2 3"`}[si]
		fmt.Fprintf(&b, `<polyline class="vg-trend__line %s" fill="none" points="%s"%s/>`, se.class, strings.Join(pts, " "), dash)
		lx, ly := x(len(points)-1), y(se.value(last))
		switch se.marker {
		case "circle":
			fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="5"/>`, se.class, lx, ly)
		case "square":
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="9" height="9"/>`, se.class, lx-4.5, ly-4.5)
		default:
			fmt.Fprintf(&b, `<polygon class="%s" points="%.1f,%.1f %.1f,%.1f %.1f,%.1f"/>`, se.class, lx, ly-6, lx-6, ly+5, lx+6, ly+5)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // numbers and escaped labels only
}

func dayLabel(day string) string {
	t, err := time.ParseInLocation(time.DateOnly, day, campaign.Paris)
	if err != nil {
		return day
	}
	return shortDate(t.Add(12 * time.Hour))
}

type schoolsPage struct {
	Academy campaign.Academy
	Base    string
	Rows    []store.SchoolStatus
}

// pageSchools lists the schools the user can see in the academy (a school admin's own).
func (s *Server) pageSchools(c *echo.Context) error {
	g := grantOf(c)
	rows, _, err := s.deps.Store.ListSchoolStatuses(c.Request().Context(), g.scope, g.academy.ID, store.SchoolStatusFilter{Sort: "name"})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "schools", "Établissements", schoolsPage{Academy: g.academy, Base: "/academies/" + url.PathEscape(g.academy.Code), Rows: rows})
}

// lastPageURL is the request's URL with its page parameter set to last.
func lastPageURL(c *echo.Context, last int) string {
	q := c.QueryParams()
	q.Set("page", strconv.Itoa(last))
	return c.Request().URL.Path + "?" + q.Encode()
}
