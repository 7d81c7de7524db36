package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
)

// DigestOptions configure the digests.
type DigestOptions struct {
	// PublicURL is Vigie's address as users reach it (links in e-mails); "" leaves links out.
	PublicURL string
	// RepeatDays is the default cadence: an unchanged open item is repeated at most every
	// RepeatDays days (a user's preference wins). Default 3.
	RepeatDays int
}

// Digests builds and sends the morning digests. It is safe for concurrent use.
type Digests struct {
	st     *store.Store
	mailer *Mailer  // nil: no e-mail
	hook   *Webhook // nil: no webhook
	timing readiness.Timing
	log    *slog.Logger
	opts   DigestOptions
}

// NewDigests returns the digest sender. mailer and hook may be nil.
func NewDigests(st *store.Store, mailer *Mailer, hook *Webhook, timing readiness.Timing, log *slog.Logger, opts DigestOptions) *Digests {
	if opts.RepeatDays <= 0 {
		opts.RepeatDays = 3
	}
	if timing == (readiness.Timing{}) {
		timing = readiness.DefaultTiming()
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &Digests{st: st, mailer: mailer, hook: hook, timing: timing, log: log, opts: opts}
}

// Counts of a digest run.
const (
	CountSent    = "sent"
	CountSkipped = "skipped" // nothing new for the reader, or already sent for this slot
	CountFailed  = "failed"
	CountItems   = "items"
	CountHooks   = "webhooks"
)

// Run sends the digests of every academy for a slot of the digest job. A message already sent
// for the slot is not sent again, so a retried run only sends what failed; the run fails if
// any message failed.
func (d *Digests) Run(ctx context.Context, slot, now time.Time) (map[string]int, error) {
	counts := map[string]int{CountSent: 0, CountSkipped: 0, CountFailed: 0, CountItems: 0, CountHooks: 0}
	academies, err := d.st.ListAcademies(ctx, access.System())
	if err != nil {
		return counts, err
	}
	var errs []error
	for _, a := range academies {
		if err := d.academy(ctx, a, slot, now, counts); err != nil {
			errs = append(errs, fmt.Errorf("digest of academy %s: %w", a.Code, err))
		}
	}
	if counts[CountFailed] > 0 {
		errs = append(errs, fmt.Errorf("%d message(s) could not be sent", counts[CountFailed]))
	}
	return counts, errors.Join(errs...)
}

func (d *Digests) academy(ctx context.Context, a campaign.Academy, slot, now time.Time, counts map[string]int) error {
	scope := access.Academy(a.ID)
	schools, _, err := d.st.ListSchools(ctx, scope, store.SchoolFilter{})
	if err != nil {
		return err
	}
	names := make(map[string]campaign.School, len(schools))
	for _, s := range schools {
		names[s.UAI] = s
	}
	sup, err := d.supervisorDigest(ctx, a, names, now)
	if err != nil {
		return err
	}
	if d.hook != nil {
		d.postHook(ctx, a, sup, slot, now, counts)
	}
	if d.mailer == nil {
		return nil
	}
	recipients, err := d.st.Recipients(ctx, access.System(), a.ID)
	if err != nil {
		return err
	}
	for _, r := range recipients {
		if !r.Prefs.EmailEnabled {
			counts[CountSkipped]++
			continue
		}
		switch r.Role {
		case access.SchoolAdmin:
			err = d.sendSchoolDigest(ctx, a, r, names, slot, now, counts)
		case access.Supervisor:
			err = d.sendSupervisorDigest(ctx, a, r, sup, slot, now, counts)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *Digests) links(prefs store.NotificationPrefs) (unsubscribe, preferences string) {
	if d.opts.PublicURL == "" {
		return "", ""
	}
	return d.opts.PublicURL + "/api/v1/unsubscribe/" + prefs.UnsubscribeToken, d.opts.PublicURL + "/preferences"
}

// itemKey names a to-do item of a school for what its reader was told.
func itemKey(uai, check string) string { return uai + "/" + check }

// fingerprint changes when what the reader would read changes (other failing items, another
// fix or status).
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:12])
}

func (d *Digests) sendSchoolDigest(ctx context.Context, a campaign.Academy, r store.Recipient, names map[string]campaign.School, slot, now time.Time, counts map[string]int) error {
	if sent, err := d.st.NotificationSent(ctx, access.System(), store.NotifySchoolDigest, r.User.Email, slot); err != nil || sent {
		if sent {
			counts[CountSkipped]++
		}
		return err
	}
	told, err := d.st.NotifiedItems(ctx, access.System(), r.User.ID)
	if err != nil {
		return err
	}
	repeat := r.Prefs.RepeatDays
	if repeat <= 0 {
		repeat = d.opts.RepeatDays
	}
	scope := access.Schools(a.ID, r.UAIs...)
	year := campaign.SchoolYearOf(now)
	today := campaign.DateOf(now)
	var tell []store.NotifiedItem
	var forget []string
	open := map[string]bool{}
	dg := SchoolDigest{Name: r.User.Name, NextHandover: FrenchTime(d.timing.NextHandover(now), d.timing.Location), RepeatDays: repeat}
	dg.Unsubscribe, dg.Preferences = d.links(r.Prefs)
	uais := append([]string(nil), r.UAIs...)
	sort.Strings(uais)
	for _, uai := range uais {
		sc, ok := names[uai]
		if !ok {
			continue // a grant for a school no longer in the academy
		}
		sec := SchoolSection{UAI: uai, Name: sc.Name, Status: StatusLabel("")}
		res, err := d.st.SchoolResult(ctx, scope, uai, time.Time{})
		switch {
		case errors.Is(err, apperr.ErrNotFound):
		case err != nil:
			return err
		default:
			var rep readiness.Report
			if err := json.Unmarshal(res.Report, &rep); err != nil {
				return fmt.Errorf("report of %s: %w", uai, err)
			}
			sec.Status = StatusLabel(string(rep.Status))
			titles := map[string]string{}
			for _, it := range rep.Todo {
				titles[it.Check] = it.Title
			}
			for _, it := range rep.Todo {
				key := itemKey(uai, it.Check)
				open[key] = true
				fp := fingerprint(it.Check, string(it.Status), it.What, it.Fix)
				line := todoLine(it, titles, d.timing.Location)
				prev, seen := told[key]
				switch {
				case !seen || prev.Fingerprint != fp:
					sec.New = append(sec.New, line)
					tell = append(tell, store.NotifiedItem{Key: key, Fingerprint: fp, FirstSentAt: now})
				case now.Sub(prev.LastSentAt) >= time.Duration(repeat)*24*time.Hour-2*time.Hour:
					// The same item, repeated at the reader's cadence (a little early rather
					// than a day late when the digest runs a few minutes earlier).
					sec.Open = append(sec.Open, line)
					tell = append(tell, store.NotifiedItem{Key: key, Fingerprint: fp})
				}
			}
		}
		steps, err := d.st.SchoolSteps(ctx, scope, uai, year)
		if err != nil {
			return err
		}
		for _, st := range steps {
			if st.State == campaign.StateDone || st.Deadline.IsZero() {
				continue
			}
			days := today.DaysUntil(st.Deadline)
			if days != 7 && days != 1 {
				continue
			}
			key := fmt.Sprintf("%s/deadline/%d/%s/J-%d", uai, st.Step, st.Deadline, days)
			open[key] = true
			if _, seen := told[key]; seen {
				continue // a reminder is sent once
			}
			info, _ := st.Step.Info()
			sec.Reminders = append(sec.Reminders, Reminder{Step: int(st.Step), Title: info.Title, Due: st.Deadline.French(), Days: days,
				State: strings.ToLower(st.State.Label())})
			tell = append(tell, store.NotifiedItem{Key: key, Fingerprint: st.Deadline.String(), FirstSentAt: now})
		}
		for key := range told {
			if strings.HasPrefix(key, uai+"/") && !open[key] && !strings.Contains(key, "/deadline/") {
				forget = append(forget, key) // fixed: if it comes back, it is new again
			}
		}
		if len(sec.New)+len(sec.Open)+len(sec.Reminders) > 0 {
			dg.Sections = append(dg.Sections, sec)
		}
	}
	if err := d.st.ForgetNotifiedItems(ctx, access.System(), r.User.ID, forget); err != nil {
		return err
	}
	if len(dg.Sections) == 0 {
		counts[CountSkipped]++
		return nil
	}
	subject, text, html, err := dg.Render()
	if err != nil {
		return err
	}
	items, _ := dg.Items()
	return d.send(ctx, store.Notification{Kind: store.NotifySchoolDigest, AcademyID: a.ID, UserID: r.User.ID, Recipient: r.User.Email,
		Slot: slot, Subject: subject, Items: items, SentAt: now}, Message{To: r.User.Email, ToName: r.User.Name, Subject: subject,
		Text: text, HTML: html, Unsubscribe: dg.Unsubscribe}, tell, counts)
}

func todoLine(it readiness.TodoItem, titles map[string]string, loc *time.Location) TodoLine {
	l := TodoLine{Rank: it.Rank, Title: it.Title, Step: it.Step, Severity: SeverityLabel(it.Severity), What: it.What, Fix: it.Fix,
		Deadline: FrenchTime(it.Deadline.Time, loc), ReachesGAR: FrenchTime(it.ReachesGAR.Time, loc), Late: it.Late}
	for _, b := range it.BlockedBy {
		if t, ok := titles[b]; ok {
			l.BlockedBy = append(l.BlockedBy, t)
		}
	}
	return l
}

// supervisorDigest gathers an academy's morning list: schools turned red since the previous
// evaluation, and those that will still fail at the target handover even if they act today.
func (d *Digests) supervisorDigest(ctx context.Context, a campaign.Academy, names map[string]campaign.School, now time.Time) (SupervisorDigest, error) {
	scope := access.Academy(a.ID)
	sg := SupervisorDigest{Academy: a.Name}
	sum, err := d.st.AcademySummary(ctx, scope, a.ID)
	if err != nil {
		return sg, err
	}
	for _, r := range sum.TurnedRed {
		sg.TurnedRed = append(sg.TurnedRed, RedLine{UAI: r.UAI, Name: r.Name, Departement: r.Departement, Previous: StatusLabel(r.Previous)})
	}
	stored, err := d.st.Forecasts(ctx, scope, a.ID, store.ForecastFilter{Outcome: campaign.ForecastWillFail})
	if err != nil {
		return sg, err
	}
	fs := make([]campaign.Forecast, len(stored))
	for i, f := range stored {
		fs[i] = f.Forecast
	}
	for _, f := range campaign.CallFirst(fs) {
		line := CallLine{UAI: f.UAI, Name: names[f.UAI].Name, EarliestGreen: FrenchTime(f.EarliestGreen, d.timing.Location), Reason: f.Reason}
		for _, it := range f.Late {
			line.Late = append(line.Late, it.Title)
		}
		if sg.Target == "" {
			sg.Target = FrenchTime(f.Target, d.timing.Location)
		}
		sg.CallFirst = append(sg.CallFirst, line)
	}
	return sg, nil
}

func (d *Digests) sendSupervisorDigest(ctx context.Context, a campaign.Academy, r store.Recipient, sg SupervisorDigest, slot, now time.Time, counts map[string]int) error {
	if len(sg.TurnedRed) == 0 && len(sg.CallFirst) == 0 {
		counts[CountSkipped]++
		return nil
	}
	if sent, err := d.st.NotificationSent(ctx, access.System(), store.NotifySupervisorDigest, r.User.Email, slot); err != nil || sent {
		if sent {
			counts[CountSkipped]++
		}
		return err
	}
	sg.Name = r.User.Name
	sg.Unsubscribe, sg.Preferences = d.links(r.Prefs)
	subject, text, html, err := sg.Render()
	if err != nil {
		return err
	}
	return d.send(ctx, store.Notification{Kind: store.NotifySupervisorDigest, AcademyID: a.ID, UserID: r.User.ID, Recipient: r.User.Email,
		Slot: slot, Subject: subject, Items: len(sg.TurnedRed) + len(sg.CallFirst), SentAt: now},
		Message{To: r.User.Email, ToName: r.User.Name, Subject: subject, Text: text, HTML: html, Unsubscribe: sg.Unsubscribe}, nil, counts)
}

// send sends one e-mail and records it (or its failure) with what its reader was told.
func (d *Digests) send(ctx context.Context, n store.Notification, msg Message, tell []store.NotifiedItem, counts map[string]int) error {
	n.Status = store.NotificationSent
	if err := d.mailer.Send(ctx, msg); err != nil {
		d.log.Warn("e-mail not sent", "to", msg.To, "kind", n.Kind, "err", err)
		n.Status, n.Error = store.NotificationFailed, err.Error()
		counts[CountFailed]++
		tell = nil
	} else {
		counts[CountSent]++
		counts[CountItems] += n.Items
	}
	if _, err := d.st.RecordNotification(context.WithoutCancel(ctx), access.System(), n, tell); err != nil {
		return err
	}
	return nil
}

// HookEvent is the JSON an academy's webhook receives after each morning evaluation.
type HookEvent struct {
	Event     string          `json:"event"` // "vigie.digest"
	Academy   string          `json:"academy"`
	Slot      time.Time       `json:"slot"`
	At        time.Time       `json:"at"`
	Target    string          `json:"target,omitempty"`
	TurnedRed []HookRedSchool `json:"turned_red"`
	CallFirst []HookCallFirst `json:"call_first"`
}

// HookRedSchool is a school that turned red overnight.
type HookRedSchool struct {
	UAI      string `json:"uai"`
	Name     string `json:"name"`
	Previous string `json:"previous"`
}

// HookCallFirst is a school to call first.
type HookCallFirst struct {
	UAI           string `json:"uai"`
	Name          string `json:"name"`
	EarliestGreen string `json:"earliest_green"`
	Reason        string `json:"reason"`
}

func (d *Digests) postHook(ctx context.Context, a campaign.Academy, sg SupervisorDigest, slot, now time.Time, counts map[string]int) {
	recipient := d.hook.URL() + "#" + a.Code
	if sent, err := d.st.NotificationSent(ctx, access.System(), store.NotifyWebhook, recipient, slot); err != nil || sent {
		return
	}
	ev := HookEvent{Event: "vigie.digest", Academy: a.Code, Slot: slot.UTC(), At: now.UTC(), Target: sg.Target,
		TurnedRed: []HookRedSchool{}, CallFirst: []HookCallFirst{}}
	for _, r := range sg.TurnedRed {
		ev.TurnedRed = append(ev.TurnedRed, HookRedSchool{UAI: r.UAI, Name: r.Name, Previous: r.Previous})
	}
	for _, c := range sg.CallFirst {
		ev.CallFirst = append(ev.CallFirst, HookCallFirst{UAI: c.UAI, Name: c.Name, EarliestGreen: c.EarliestGreen, Reason: c.Reason})
	}
	n := store.Notification{Kind: store.NotifyWebhook, AcademyID: a.ID, Recipient: recipient, Slot: slot, Subject: ev.Event,
		Items: len(ev.TurnedRed) + len(ev.CallFirst), Status: store.NotificationSent, SentAt: now}
	if err := d.hook.Post(ctx, ev); err != nil {
		d.log.Warn("webhook not delivered", "academy", a.Code, "err", err)
		n.Status, n.Error = store.NotificationFailed, err.Error()
		counts[CountFailed]++
	} else {
		counts[CountHooks]++
	}
	if _, err := d.st.RecordNotification(context.WithoutCancel(ctx), access.System(), n, nil); err != nil {
		d.log.Error("record webhook", "academy", a.Code, "err", err)
	}
}

// JobFailed reports a scheduled job that failed after its retries: to the log, and to the
// webhook when there is one.
func (d *Digests) JobFailed(ctx context.Context, run store.JobRun) {
	d.log.Error("scheduled job failed after retries", "job", run.Job, "slot", run.Slot, "replica", run.Replica,
		"attempts", run.Attempt, "err", run.Error)
	if d.hook == nil {
		return
	}
	ev := map[string]any{"event": "vigie.job_failed", "job": run.Job, "slot": run.Slot.UTC(), "replica": run.Replica,
		"attempts": run.Attempt, "error": run.Error}
	if err := d.hook.Post(ctx, ev); err != nil {
		d.log.Warn("webhook not delivered", "event", "vigie.job_failed", "err", err)
	}
}
