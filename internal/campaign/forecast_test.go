package campaign

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForecastSchool(t *testing.T) {
	next := paris("2026-09-16 06:00")
	target := paris("2026-09-18 06:00") // the earliest handover a fix made on the 16th reaches
	ent := ForecastItem{Check: "ent.classes_populated", Step: 13, Severity: "blocker", Title: "Classes peuplées dans l'ENT",
		Stage: "ent", ReachesGAR: target}
	links := ForecastItem{Check: "siecle.groups_populated", Step: 12, Severity: "blocker", Title: "Groupes peuplés dans SIECLE-BEE",
		Stage: "links", ReachesGAR: paris("2026-09-20 06:00")}

	tests := []struct {
		name        string
		in          ForecastInput
		want        ForecastOutcome
		greenNext   bool
		earliest    time.Time
		late        int
		reasonParts []string
	}{
		{name: "never evaluated", in: ForecastInput{UAI: "A"}, want: ForecastUnknown},
		{name: "ready", in: ForecastInput{UAI: "A", Status: "ready"}, want: ForecastGreen, greenNext: true},
		{name: "ENT fix reaches the target", in: ForecastInput{UAI: "A", Status: "not_ready", Items: []ForecastItem{ent}},
			want: ForecastOnTrack, earliest: target, reasonParts: []string{"Vert à la transmission du vendredi 18 septembre 2026 à 6\u00a0h\u00a000, la première"}},
		{name: "links fix arrives two days later", in: ForecastInput{UAI: "A", Status: "not_ready", Items: []ForecastItem{ent, links}},
			want: ForecastWillFail, earliest: paris("2026-09-20 06:00"), late: 1,
			reasonParts: []string{"Encore rouge à la transmission du vendredi 18 septembre 2026 à 6\u00a0h\u00a000, la première", ": 1 contrôle ne peut pas être corrigé à temps : « Groupes peuplés dans SIECLE-BEE » ;", "au mieux vert le dimanche 20 septembre 2026 à 6\u00a0h\u00a000"}},
		{name: "links already on their way", in: ForecastInput{UAI: "A", Status: "not_ready",
			Items: []ForecastItem{func() ForecastItem { l := links; l.InFlight = next; return l }()}},
			want: ForecastOnTrack, greenNext: true, earliest: next},
		{name: "four checks late, each named up to three", in: ForecastInput{UAI: "A", Status: "not_ready", Items: []ForecastItem{
			lateAs(links, "a", "Professeur principal désigné dans chaque division"), lateAs(links, "b", "Équipes pédagogiques"),
			lateAs(links, "c", "Groupes présents"), lateAs(links, "d", "Liens élèves-groupes importés")}},
			want: ForecastWillFail, earliest: paris("2026-09-20 06:00"), late: 4,
			reasonParts: []string{": 4 contrôles ne peuvent pas être corrigés à temps : « Professeur principal désigné dans chaque division », « Équipes pédagogiques », « Groupes présents » et 1 autre ;"}},
		{name: "blocker unknown, its source missing", in: ForecastInput{UAI: "A", Status: "at_risk", Items: []ForecastItem{
			{Check: "siecle.groups_populated", Step: 12, Title: "Groupes peuplés dans SIECLE-BEE", Unknown: true, SourceMissing: true, ReachesGAR: target}}},
			want: ForecastUnknown, reasonParts: []string{"Impossible à prévoir : 1 contrôle impossible à évaluer : « Groupes peuplés dans SIECLE-BEE » (source absente ou trop ancienne)."}},
		{name: "school absent from the directory feed: no source blamed, the error check counted as such", in: ForecastInput{UAI: "A", Status: "not_ready", Items: []ForecastItem{
			{Check: "ent.classes_populated", Step: 13, Severity: "blocker", Title: "Classes peuplées dans l'ENT", Unknown: true, ReachesGAR: target},
			{Check: "ent.groups_populated", Step: 13, Severity: "blocker", Title: "Groupes peuplés dans l'ENT", Unknown: true, ReachesGAR: target},
			{Check: "ent.professeur_principal", Step: 13, Severity: "error", Title: "Professeurs principaux dans l'ENT", Unknown: true, ReachesGAR: target}}},
			want: ForecastUnknown, reasonParts: []string{"Impossible à prévoir : 3 contrôles impossibles à évaluer : « Classes peuplées dans l'ENT », « Groupes peuplés dans l'ENT » et « Professeurs principaux dans l'ENT »."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Target, tt.in.NextHandover = target, next
			f := ForecastSchool(tt.in)
			assert.Equal(t, tt.want, f.Outcome)
			assert.Equal(t, tt.greenNext, f.GreenAtNextHandover)
			assert.True(t, tt.earliest.Equal(f.EarliestGreen), "earliest green %s, want %s", f.EarliestGreen, tt.earliest)
			assert.Len(t, f.Late, tt.late)
			for _, p := range tt.reasonParts {
				assert.Contains(t, f.Reason, p)
			}
			assert.NotEmpty(t, f.Reason)
			assert.NotContains(t, f.Reason, "/", "dates as the pages write them")
			assert.NotContains(t, f.Reason, "(s)", "plurals agree")
			assert.LessOrEqual(t, strings.Count(f.Reason, "transmission du"), 1, "one handover per forecast: %s", f.Reason)
			assert.NotEmpty(t, f.Outcome.Label())
			assert.NotContains(t, f.Reason, "bloquants", "the count names no severity")
			if tt.name != "blocker unknown, its source missing" {
				assert.NotContains(t, f.Reason, "source absente")
			}
		})
	}
}

func lateAs(it ForecastItem, check, title string) ForecastItem {
	it.Check, it.Title = check, title
	return it
}

func TestCallFirst(t *testing.T) {
	mk := func(uai string, o ForecastOutcome, earliest string, late int) Forecast {
		f := Forecast{UAI: uai, Outcome: o, Late: make([]ForecastItem, late)}
		if earliest != "" {
			f.EarliestGreen = paris(earliest)
		}
		return f
	}
	got := CallFirst([]Forecast{
		mk("A", ForecastOnTrack, "2026-09-18 06:00", 0),
		mk("B", ForecastWillFail, "2026-09-20 06:00", 1),
		mk("C", ForecastWillFail, "2026-09-21 06:00", 1),
		mk("D", ForecastWillFail, "2026-09-20 06:00", 2),
		mk("E", ForecastGreen, "", 0),
	})
	require.Len(t, got, 3)
	assert.Equal(t, []string{"C", "D", "B"}, []string{got[0].UAI, got[1].UAI, got[2].UAI})
}

func TestForecastDatesAsThePages(t *testing.T) {
	assert.Equal(t, "mardi 1er décembre 2026 à 6\u00a0h\u00a000", frenchDateTime(paris("2026-12-01 06:00")))
	assert.Equal(t, "lundi 30 novembre 2026 à 20\u00a0h\u00a005", frenchDateTime(paris("2026-11-30 20:05")))
}
