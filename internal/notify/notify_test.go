package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/notify"
	"github.com/vigie-edu/vigie/internal/notify/smtptest"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// received is a message as a mail reader sees it.
type received struct {
	From, To, Subject   string
	Text, HTML          string
	Header              mail.Header
	TLS                 bool
	AuthenticatedAsUser string
}

func parse(t *testing.T, m smtptest.Message) received {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	require.NoError(t, err)
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	r := received{From: msg.Header.Get("From"), To: strings.Join(m.To, ","), Subject: subject, Header: msg.Header, TLS: m.TLS, AuthenticatedAsUser: m.User}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt, "plain text and HTML parts")
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p) // quoted-printable is decoded by the part reader
		require.NoError(t, err)
		b = []byte(strings.ReplaceAll(string(b), "\r\n", "\n"))
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			r.Text = string(b)
		case "text/html":
			r.HTML = string(b)
		}
	}
	return r
}

func TestMailerOverSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "vigie", Password: "s3cret"})
	m, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host(), Port: srv.Port(), Username: "vigie", Password: "s3cret",
		From: "Vigie <vigie@ac-poitiers.fr>", TLS: notify.TLSStartTLS, TLSConfig: srv.ClientTLS()})
	require.NoError(t, err)
	require.NoError(t, m.Send(context.Background(), notify.Message{To: "ce.0790029c@ac-poitiers.fr", ToName: "Hélène Célestin",
		Subject: "Vigie : élèves à relier aux groupes", Text: "Bonjour,\nÉtape 12 : liens élèves-groupes à réimporter.\n",
		HTML: "<p>Bonjour,</p><p>Étape 12</p>", Unsubscribe: "https://vigie.example/api/v1/unsubscribe/abc"}))
	got := parse(t, srv.Wait(t, 1, 10*time.Second)[0])
	assert.True(t, got.TLS, "sent after STARTTLS")
	assert.Equal(t, "vigie", got.AuthenticatedAsUser)
	assert.Equal(t, "Vigie : élèves à relier aux groupes", got.Subject)
	assert.Contains(t, got.From, "vigie@ac-poitiers.fr")
	assert.Equal(t, "ce.0790029c@ac-poitiers.fr", got.To)
	assert.Contains(t, got.Text, "Étape 12 : liens élèves-groupes à réimporter.")
	assert.Contains(t, got.HTML, "<p>Étape 12</p>")
	assert.Equal(t, "<https://vigie.example/api/v1/unsubscribe/abc>", got.Header.Get("List-Unsubscribe"))
	assert.Equal(t, "fr", got.Header.Get("Content-Language"))

	bad, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host(), Port: srv.Port(), Username: "vigie", Password: "wrong",
		From: "vigie@ac-poitiers.fr", TLSConfig: srv.ClientTLS()})
	require.NoError(t, err)
	assert.Error(t, bad.Send(context.Background(), notify.Message{To: "a@b.fr", Subject: "x", Text: "x"}), "authentication refused")
	untrusted, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host(), Port: srv.Port(), From: "vigie@ac-poitiers.fr"})
	require.NoError(t, err)
	assert.Error(t, untrusted.Send(context.Background(), notify.Message{To: "a@b.fr", Subject: "x", Text: "x"}), "an unknown certificate is refused")
	_, err = notify.NewMailer(notify.SMTPConfig{Host: "x", From: "not an address"})
	assert.Error(t, err)
	_, err = notify.NewMailer(notify.SMTPConfig{Host: "x", From: "a@b.fr", TLS: "maybe"})
	assert.Error(t, err)
}

func TestWebhookSignature(t *testing.T) {
	secret := "0123456789abcdef-secret"
	now := time.Date(2026, 9, 16, 4, 30, 0, 0, time.UTC)
	var got []byte
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		sig = r.Header.Get(notify.SignatureHeader)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	h, err := notify.NewWebhook(srv.URL, secret, nil, func() time.Time { return now })
	require.NoError(t, err)
	require.NoError(t, h.Post(context.Background(), map[string]string{"event": "test", "école": "Lycée"}))
	assert.JSONEq(t, `{"event":"test","école":"Lycée"}`, string(got))
	require.NoError(t, notify.Verify([]byte(secret), sig, got, now.Add(time.Minute), 5*time.Minute))
	assert.Error(t, notify.Verify([]byte("another secret!!"), sig, got, now, 5*time.Minute))
	assert.Error(t, notify.Verify([]byte(secret), sig, append(got, ' '), now, 5*time.Minute), "the body is signed")
	assert.Error(t, notify.Verify([]byte(secret), sig, got, now.Add(time.Hour), 5*time.Minute), "replayed later")
	_, err = notify.NewWebhook(srv.URL, "short", nil, nil)
	assert.Error(t, err)
}

// world is an academy with two schools, their latest reports, accounts with e-mail addresses,
// a forecast, and a school that turned red overnight.
type world struct {
	academy    campaign.Academy
	admin, sup access.User
	adminPrefs store.NotificationPrefs
	now        time.Time
	lycee      string
	college    string
}

func report(uai, status string, todo ...readiness.TodoItem) []byte {
	b, _ := json.Marshal(readiness.Report{UAI: uai, SchoolYear: 2026, Status: readiness.Status(status), Checks: []readiness.CheckReport{}, Todo: todo})
	return b
}

func seedWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	sys := access.System()
	w := &world{now: time.Date(2026, 9, 8, 4, 30, 0, 0, time.UTC), lycee: "0790029C", college: "0860001J"}
	var err error
	w.academy, err = st.CreateAcademy(ctx, sys, "poitiers", "Poitiers")
	require.NoError(t, err)
	_, err = st.UpsertSchools(ctx, sys, w.academy.ID, []campaign.School{
		{UAI: w.lycee, Name: "Lycée Jean Macé", Kind: campaign.KindLycee, Departement: "79"},
		{UAI: w.college, Name: "Collège Henri IV", Kind: campaign.KindCollege, Departement: "86"},
	})
	require.NoError(t, err)
	by := store.SystemActor("test")
	w.admin, err = st.CreateUser(ctx, sys, store.NewUser{Login: "ce.0790029c", Name: "Hélène Célestin", Email: "ce.0790029c@ac-poitiers.fr"}, by)
	require.NoError(t, err)
	w.sup, err = st.CreateUser(ctx, sys, store.NewUser{Login: "sup", Name: "Régis Supérieur", Email: "dane@ac-poitiers.fr"}, by)
	require.NoError(t, err)
	_, err = st.AddGrant(ctx, sys, access.Grant{UserID: w.admin.ID, AcademyID: w.academy.ID, Role: access.SchoolAdmin, UAIs: []string{w.lycee, w.college}}, by)
	require.NoError(t, err)
	_, err = st.AddGrant(ctx, sys, access.Grant{UserID: w.sup.ID, AcademyID: w.academy.ID, Role: access.Supervisor}, by)
	require.NoError(t, err)
	w.adminPrefs, err = st.NotificationPrefsOf(ctx, sys, w.admin.ID)
	require.NoError(t, err)

	// Yesterday the lycée was ready; this morning it is not: it turned red overnight.
	scope := access.Academy(w.academy.ID)
	run := func(at time.Time, results ...store.Result) {
		r, err := st.StartRun(ctx, scope, store.Run{AcademyID: w.academy.ID, Trigger: "schedule", RequestedBy: "vigie", PolicyVersion: "v", StartedAt: at})
		require.NoError(t, err)
		require.NoError(t, st.SaveResults(ctx, scope, r.ID, results))
		_, err = st.FinishRun(ctx, scope, r.ID, nil)
		require.NoError(t, err)
	}
	run(w.now.Add(-24*time.Hour),
		store.Result{UAI: w.lycee, PolicyVersion: "v", EvaluatedAt: w.now.Add(-24 * time.Hour), Status: "ready", Report: report(w.lycee, "ready")},
		store.Result{UAI: w.college, PolicyVersion: "v", EvaluatedAt: w.now.Add(-24 * time.Hour), Status: "ready", Report: report(w.college, "ready")})
	deadline := readiness.Instant{Time: time.Date(2026, 9, 8, 18, 0, 0, 0, time.UTC)}
	reach := readiness.Instant{Time: time.Date(2026, 9, 12, 4, 0, 0, 0, time.UTC)}
	run(w.now.Add(-time.Minute),
		store.Result{UAI: w.lycee, PolicyVersion: "v", EvaluatedAt: w.now.Add(-time.Minute), Status: "not_ready", Report: report(w.lycee, "not_ready",
			readiness.TodoItem{Check: "links.imported", Rank: 1, BlockedBy: []string{}, Title: "Liens élèves-groupes importés", Step: 12,
				Severity: "error", Status: "fail", What: "Les groupes ont changé depuis le dernier fichier de liens",
				Fix: "Dans EDT, « Imports/Exports > SIECLE > Exporter les liens élèves/groupes »", Deadline: deadline, ReachesGAR: reach},
			readiness.TodoItem{Check: "siecle.groups_populated", Rank: 2, BlockedBy: []string{"links.imported"}, Title: "Groupes peuplés dans SIECLE-BEE",
				Step: 12, Severity: "blocker", Status: "fail", What: "2 groupes : 2NDE1 AGL1, 2NDE2 ESP2",
				Fix: "SIECLE-BEE : « Importations > Lien élève-groupe depuis logiciel privé »", Deadline: deadline, ReachesGAR: reach})},
		store.Result{UAI: w.college, PolicyVersion: "v", EvaluatedAt: w.now.Add(-time.Minute), Status: "ready", Report: report(w.college, "ready")})

	// The forecast says the lycée will still be red at the next reachable handover.
	target := time.Date(2026, 9, 10, 4, 0, 0, 0, time.UTC)
	f := campaign.ForecastSchool(campaign.ForecastInput{UAI: w.lycee, Status: "not_ready", Target: target, NextHandover: target.Add(-48 * time.Hour),
		Items: []campaign.ForecastItem{{Check: "siecle.groups_populated", Step: 12, Severity: "blocker", Title: "Groupes peuplés dans SIECLE-BEE",
			Stage: "links", ReachesGAR: reach.Time}}})
	require.NoError(t, st.SaveForecasts(ctx, sys, w.academy.ID, []campaign.Forecast{f,
		campaign.ForecastSchool(campaign.ForecastInput{UAI: w.college, Status: "ready", Target: target})}, w.now))

	// The college's step 13 is due in 7 days and not done.
	cal := campaign.DefaultCalendar(2026)
	cal.Deadlines[13] = campaign.NewDate(2026, time.September, 15)
	p := campaign.Progress(campaign.ProgressInput{Now: w.now, Calendar: cal})
	_, err = st.SaveProgress(ctx, sys, w.academy.ID, 2026, []store.SchoolProgress{{UAI: w.college, Steps: p.Steps}}, w.now)
	require.NoError(t, err)
	return w
}

func byRecipient(t *testing.T, msgs []smtptest.Message) map[string][]received {
	out := map[string][]received{}
	for _, m := range msgs {
		r := parse(t, m)
		out[r.To] = append(out[r.To], r)
	}
	return out
}

func TestDigestsEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := seedWorld(t, st)
		srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "vigie", Password: "pw"})
		mailer, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host(), Port: srv.Port(), Username: "vigie", Password: "pw",
			From: "Vigie <vigie@ac-poitiers.fr>", TLSConfig: srv.ClientTLS()})
		require.NoError(t, err)
		var mu sync.Mutex
		var events [][]byte
		secret := "a-webhook-secret-of-32-characters"
		hookSrv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if notify.Verify([]byte(secret), r.Header.Get(notify.SignatureHeader), b, time.Now(), time.Hour) != nil {
				rw.WriteHeader(http.StatusUnauthorized)
				return
			}
			mu.Lock()
			events = append(events, b)
			mu.Unlock()
		}))
		defer hookSrv.Close()
		hook, err := notify.NewWebhook(hookSrv.URL, secret, nil, nil)
		require.NoError(t, err)
		d := notify.NewDigests(st, mailer, hook, readiness.DefaultTiming(), storetest.Logger(t),
			notify.DigestOptions{PublicURL: "https://vigie.ac-poitiers.fr/", RepeatDays: 3})

		slot := w.now
		counts, err := d.Run(ctx, slot, w.now)
		require.NoError(t, err)
		assert.Equal(t, 2, counts[notify.CountSent], "%v", counts)
		assert.Equal(t, 1, counts[notify.CountHooks])
		got := byRecipient(t, srv.Wait(t, 2, 10*time.Second))

		admin := got["ce.0790029c@ac-poitiers.fr"]
		require.Len(t, admin, 1)
		a := admin[0]
		assert.True(t, a.TLS)
		assert.Equal(t, "Vigie : 4 points pour vos 2 établissements avant le transfert GAR (4 nouveaux)", a.Subject)
		for _, want := range []string{
			"Bonjour Hélène Célestin,",
			"Prochain transfert de l'annuaire vers le GAR : mercredi 9 septembre 2026 à 06 h 00.",
			"=== Lycée Jean Macé (0790029C) : non prêt ===",
			"Nouveau ou modifié :",
			"1. Liens élèves-groupes importés (étape 12, erreur)",
			"2. Groupes peuplés dans SIECLE-BEE (étape 12, bloquant)",
			"Problème : 2 groupes : 2NDE1 AGL1, 2NDE2 ESP2",
			"À faire : SIECLE-BEE : « Importations > Lien élève-groupe depuis logiciel privé »",
			"Avant le : mardi 8 septembre 2026 à 20 h 00 (arrivée au GAR : samedi 12 septembre 2026 à 06 h 00)",
			"D'abord : Liens élèves-groupes importés",
			"=== Collège Henri IV (0860001J) : prêt ===",
			"- Étape 12 « Export des liens élèves-groupes vers SIECLE-BEE » : échéance le mardi 15 septembre 2026 (dans 7 jours) ; état actuel : bloquée.",
			"- Étape 13 « Alimentation automatique de l'annuaire fédérateur » : échéance le mardi 15 septembre 2026 (dans 7 jours) ; état actuel : bloquée.",
			"Un point inchangé n'est rappelé que tous les 3 jours.",
			"Ne plus recevoir ces messages : https://vigie.ac-poitiers.fr/api/v1/unsubscribe/" + w.adminPrefs.UnsubscribeToken,
		} {
			assert.Contains(t, a.Text, want)
		}
		assert.Contains(t, a.HTML, "<h2>Lycée Jean Macé (0790029C) : non prêt</h2>")
		assert.Contains(t, a.HTML, "Importations &gt; Lien élève-groupe depuis logiciel privé", "HTML escaped")
		assert.Equal(t, "<https://vigie.ac-poitiers.fr/api/v1/unsubscribe/"+w.adminPrefs.UnsubscribeToken+">", a.Header.Get("List-Unsubscribe"))

		sup := got["dane@ac-poitiers.fr"]
		require.Len(t, sup, 1)
		s := sup[0]
		assert.Equal(t, "Vigie Poitiers : 1 établissement au rouge cette nuit, 1 à appeler en premier", s.Subject)
		assert.Contains(t, s.Text, "Établissements passés au rouge cette nuit (1) :\n- Lycée Jean Macé (0790029C, 79) : était prêt")
		assert.Contains(t, s.Text, "À appeler en premier (1) : encore rouges au transfert du jeudi 10 septembre 2026 à 06 h 00 même s'ils agissent aujourd'hui.")
		assert.Contains(t, s.Text, "1. Lycée Jean Macé (0790029C) : au mieux vert le samedi 12 septembre 2026 à 06 h 00\n"+
			"   Ne peut pas arriver à temps : Groupes peuplés dans SIECLE-BEE\n")
		assert.Equal(t, 1, strings.Count(s.Text, "au mieux vert"), "said once:\n%s", s.Text)
		assert.Equal(t, 1, strings.Count(s.Text, "10 septembre"), "the target handover is in the header only:\n%s", s.Text)
		assert.NotContains(t, s.Text, "(s)")
		assert.Contains(t, s.HTML, "<h2>À appeler en premier (1)</h2>")

		mu.Lock()
		require.Len(t, events, 1)
		var ev notify.HookEvent
		require.NoError(t, json.Unmarshal(events[0], &ev))
		mu.Unlock()
		assert.Equal(t, "vigie.digest", ev.Event)
		assert.Equal(t, "poitiers", ev.Academy)
		require.Len(t, ev.TurnedRed, 1)
		assert.Equal(t, "0790029C", ev.TurnedRed[0].UAI)
		require.Len(t, ev.CallFirst, 1)
		assert.Contains(t, ev.CallFirst[0].Reason, "au mieux vert le", "the webhook keeps the forecast's sentence")

		// The job retried for the same slot sends nothing twice.
		counts, err = d.Run(ctx, slot, w.now.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 0, counts[notify.CountSent])
		assert.Len(t, srv.Messages(), 2)
		mu.Lock()
		assert.Len(t, events, 1)
		mu.Unlock()

		// The next morning nothing changed: the admin's items are not repeated before 3 days;
		// the supervisor still gets the call list.
		day2 := w.now.Add(24 * time.Hour)
		counts, err = d.Run(ctx, day2, day2)
		require.NoError(t, err)
		assert.Equal(t, 1, counts[notify.CountSent], "%v", counts)
		got = byRecipient(t, srv.Wait(t, 3, 10*time.Second)[2:])
		assert.Empty(t, got["ce.0790029c@ac-poitiers.fr"])
		require.Len(t, got["dane@ac-poitiers.fr"], 1)

		// Three days later the same items come back as still open.
		day4 := w.now.Add(72 * time.Hour)
		_, err = d.Run(ctx, day4, day4)
		require.NoError(t, err)
		got = byRecipient(t, srv.Wait(t, 5, 10*time.Second)[3:])
		require.Len(t, got["ce.0790029c@ac-poitiers.fr"], 1)
		again := got["ce.0790029c@ac-poitiers.fr"][0]
		assert.Equal(t, "Vigie : 2 points pour Lycée Jean Macé avant le transfert GAR", again.Subject)
		assert.Contains(t, again.Text, "Toujours à faire :\n1. Liens élèves-groupes importés")
		assert.NotContains(t, again.Text, "Nouveau ou modifié")
		assert.NotContains(t, again.Text, "Collège Henri IV", "the reminder was sent once, 7 days before")

		// Unsubscribed: nothing more.
		_, err = st.Unsubscribe(ctx, access.System(), w.adminPrefs.UnsubscribeToken)
		require.NoError(t, err)
		day7 := w.now.Add(6 * 24 * time.Hour)
		_, err = d.Run(ctx, day7, day7)
		require.NoError(t, err)
		for _, m := range srv.Messages()[5:] {
			assert.NotEqual(t, "ce.0790029c@ac-poitiers.fr", m.To[0])
		}
		sent, err := st.ListNotifications(ctx, access.System(), store.NotificationFilter{AcademyID: w.academy.ID})
		require.NoError(t, err)
		assert.NotEmpty(t, sent)
	})
}

func TestDigestFailureIsRetriedForTheFailedOnly(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	w := seedWorld(t, st)
	refuse := true
	var mu sync.Mutex
	srv := smtptest.Start(t, smtptest.Options{Reject: func(rcpt string) bool {
		mu.Lock()
		defer mu.Unlock()
		return refuse && rcpt == "dane@ac-poitiers.fr"
	}})
	mailer, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host(), Port: srv.Port(), From: "vigie@ac-poitiers.fr", TLS: notify.TLSNone})
	require.NoError(t, err)
	d := notify.NewDigests(st, mailer, nil, readiness.DefaultTiming(), storetest.Logger(t), notify.DigestOptions{})
	counts, err := d.Run(ctx, w.now, w.now)
	require.Error(t, err, "a refused message fails the run, so that the job retries it")
	assert.Equal(t, 1, counts[notify.CountSent])
	assert.Equal(t, 1, counts[notify.CountFailed])
	mu.Lock()
	refuse = false
	mu.Unlock()
	counts, err = d.Run(ctx, w.now, w.now.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, counts[notify.CountSent], "only the failed message is sent again")
	msgs := srv.Wait(t, 2, 10*time.Second)
	assert.Equal(t, []string{"ce.0790029c@ac-poitiers.fr"}, msgs[0].To)
	assert.Equal(t, []string{"dane@ac-poitiers.fr"}, msgs[1].To)
}

// TestSupervisorDigestSaysEachThingOnce: a school to call first gets its name, UAI, earliest
// green date, latest problem and how many others, each once; the target handover is in the
// header only.
func TestSupervisorDigestSaysEachThingOnce(t *testing.T) {
	d := notify.SupervisorDigest{Academy: "Poitiers", Target: "jeudi 10 septembre 2026 à 06 h 00", CallFirst: []notify.CallLine{
		{UAI: "0790029C", Name: "Lycée Jean Macé", EarliestGreen: "samedi 12 septembre 2026 à 06 h 00",
			Reason: "Encore rouge à la transmission du jeudi 10 septembre 2026 à 6 h 00 ; au mieux vert le samedi 12 septembre 2026 à 6 h 00.",
			Late:   []string{"Groupes peuplés dans SIECLE-BEE", "Classes peuplées dans l'ENT", "Liens élèves-groupes importés"}},
		{UAI: "0860001J", Name: "Collège Henri IV", EarliestGreen: "vendredi 11 septembre 2026 à 06 h 00",
			Late: []string{"Groupes peuplés dans SIECLE-BEE", "Classes peuplées dans l'ENT"}},
	}}
	subject, text, html, err := d.Render()
	require.NoError(t, err)
	assert.Equal(t, "Vigie Poitiers : 0 établissement au rouge cette nuit, 2 à appeler en premier", subject)
	assert.Contains(t, text, "1. Lycée Jean Macé (0790029C) : au mieux vert le samedi 12 septembre 2026 à 06 h 00\n"+
		"   Ne peuvent pas arriver à temps : Groupes peuplés dans SIECLE-BEE et 2 autres problèmes\n")
	assert.Contains(t, text, "2. Collège Henri IV (0860001J) : au mieux vert le vendredi 11 septembre 2026 à 06 h 00\n"+
		"   Ne peuvent pas arriver à temps : Groupes peuplés dans SIECLE-BEE et 1 autre problème\n")
	for _, body := range []string{text, html} {
		assert.Equal(t, 2, strings.Count(body, "au mieux vert"), body)
		assert.Equal(t, 1, strings.Count(body, "10 septembre"), body)
		assert.Equal(t, 1, strings.Count(body, "12 septembre"), body)
		assert.NotContains(t, body, "Encore rouge à la transmission", "the forecast's sentence repeats the header and the date")
	}
	assert.Contains(t, html, "<li><strong>Lycée Jean Macé</strong> (0790029C) : au mieux vert le samedi 12 septembre 2026 à 06 h 00<br>"+
		"Ne peuvent pas arriver à temps : Groupes peuplés dans SIECLE-BEE et 2 autres problèmes</li>")
}

func TestSchoolDigestRepeatCadenceAgrees(t *testing.T) {
	for days, want := range map[int]string{1: "Un point inchangé n'est rappelé qu'une fois par jour.", 3: "Un point inchangé n'est rappelé que tous les 3 jours."} {
		d := notify.SchoolDigest{NextHandover: "mercredi 9 septembre 2026 à 06 h 00", RepeatDays: days,
			Sections: []notify.SchoolSection{{UAI: "0790029C", Name: "Lycée Jean Macé", Status: "prêt"}}}
		subject, text, html, err := d.Render()
		require.NoError(t, err)
		assert.Equal(t, "Vigie : 0 point pour Lycée Jean Macé avant le transfert GAR", subject)
		assert.Contains(t, text, want)
		assert.Contains(t, html, want)
		assert.NotContains(t, text, "jour(s)")
	}
}
