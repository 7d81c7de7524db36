// Package config owns Vigie's configuration: one struct with its defaults, loaded from
// command-line flags and VIGIE_* environment variables (flags win), validated, and printed at
// start-up with secrets masked. Only cmd/vigie imports it; everything else receives plain
// values through constructors.
package config

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of Vigie. Each field carries its flag name, environment variable,
// default and help text; `secret:"true"` masks it when printed.
type Config struct {
	Addr        string        `flag:"addr" env:"VIGIE_ADDR" default:"127.0.0.1:8080" help:"HTTP listen address"`
	DatabaseURL string        `flag:"database-url" env:"VIGIE_DATABASE_URL" default:"data/vigie.db" secret:"url" help:"postgres:// URL for PostgreSQL; anything else is a SQLite file path"`
	DataDir     string        `flag:"data-dir" env:"VIGIE_DATA_DIR" default:"data" help:"directory for uploads in progress and drop folders"`
	LogLevel    string        `flag:"log-level" env:"VIGIE_LOG_LEVEL" default:"info" help:"debug, info, warn or error"`
	LogFormat   string        `flag:"log-format" env:"VIGIE_LOG_FORMAT" default:"text" help:"text or json"`
	Timezone    string        `flag:"timezone" env:"VIGIE_TIMEZONE" default:"Europe/Paris" help:"time zone of the campaign calendar and schedules"`
	ShutdownIn  time.Duration `flag:"shutdown-timeout" env:"VIGIE_SHUTDOWN_TIMEOUT" default:"15s" help:"grace period for in-flight requests on shutdown"`
	Demo        bool          `flag:"demo" env:"VIGIE_DEMO" default:"false" help:"seed a demo academy on first start and show demo accounts"`

	// Sessions, uploads and requests of the HTTP API.
	CookieSecure   bool          `flag:"cookie-secure" env:"VIGIE_COOKIE_SECURE" default:"true" help:"mark session cookies Secure (__Host- prefix); turn off only for plain-HTTP development"`
	SessionIdle    time.Duration `flag:"session-idle" env:"VIGIE_SESSION_IDLE" default:"2h" help:"a browser session ends after this long without a request"`
	SessionMaxAge  time.Duration `flag:"session-max-age" env:"VIGIE_SESSION_MAX_AGE" default:"12h" help:"a browser session ends this long after login, active or not"`
	UploadMaxMB    int           `flag:"upload-max-mb" env:"VIGIE_UPLOAD_MAX_MB" default:"200" help:"largest upload (all files of one request), in MiB"`
	RequestTimeout time.Duration `flag:"request-timeout" env:"VIGIE_REQUEST_TIMEOUT" default:"30s" help:"time limit of an API request (uploads and runs get 10 minutes)"`
	// OpenID Connect login (ProConnect or the academy's provider); off when the issuer is empty.
	OIDCIssuer       string `flag:"oidc-issuer" env:"VIGIE_OIDC_ISSUER" default:"" help:"OpenID provider issuer URL; empty disables OIDC login"`
	OIDCClientID     string `flag:"oidc-client-id" env:"VIGIE_OIDC_CLIENT_ID" default:"" help:"OIDC client id registered at the provider"`
	OIDCClientSecret string `flag:"oidc-client-secret" env:"VIGIE_OIDC_CLIENT_SECRET" default:"" secret:"true" help:"OIDC client secret"`
	OIDCRedirectURL  string `flag:"oidc-redirect-url" env:"VIGIE_OIDC_REDIRECT_URL" default:"" help:"Vigie's callback URL as registered at the provider, ending in /api/v1/auth/oidc/callback"`

	// Scheduled jobs (cron expressions in the time zone above: 5 fields, or 6 with seconds first).
	Scheduler      bool          `flag:"scheduler" env:"VIGIE_SCHEDULER" default:"true" help:"run the scheduled jobs in this process (every replica may; each slot runs once)"`
	Replica        string        `flag:"replica" env:"VIGIE_REPLICA" default:"" help:"name of this replica in job run records; empty: host name and process id"`
	CronDropFolder string        `flag:"cron-dropfolder" env:"VIGIE_CRON_DROPFOLDER" default:"0 2 * * *" help:"when the drop folders are ingested"`
	CronEvaluate   string        `flag:"cron-evaluate" env:"VIGIE_CRON_EVALUATE" default:"30 5 * * *" help:"when every school is evaluated, before the GAR handover"`
	CronDigest     string        `flag:"cron-digest" env:"VIGIE_CRON_DIGEST" default:"30 6 * * *" help:"when the e-mail digests and webhooks are sent, after the evaluation"`
	CronRetention  string        `flag:"cron-retention" env:"VIGIE_CRON_RETENTION" default:"30 3 * * 0" help:"when old job runs, notifications and failed results are deleted"`
	DropFolderDir  string        `flag:"dropfolder-dir" env:"VIGIE_DROPFOLDER_DIR" default:"" help:"root of the drop folders (<dir>/<academy code>/); empty: <data-dir>/dropfolder"`
	RetentionDays  int           `flag:"retention-days" env:"VIGIE_RETENTION_DAYS" default:"400" help:"days job runs and notifications are kept"`
	JobRetries     int           `flag:"job-retries" env:"VIGIE_JOB_RETRIES" default:"3" help:"retries of a failed job run before it is reported"`
	JobBackoff     time.Duration `flag:"job-backoff" env:"VIGIE_JOB_BACKOFF" default:"5m" help:"wait before the first retry of a failed job run, doubled at each retry"`

	// Notifications: e-mail over SMTP (off when smtp-host is empty) and a signed webhook.
	SMTPHost         string `flag:"smtp-host" env:"VIGIE_SMTP_HOST" default:"" help:"SMTP server; empty disables e-mail"`
	SMTPPort         int    `flag:"smtp-port" env:"VIGIE_SMTP_PORT" default:"587" help:"SMTP port (587 with starttls, 465 with tls)"`
	SMTPUser         string `flag:"smtp-user" env:"VIGIE_SMTP_USER" default:"" help:"SMTP user; empty: no authentication"`
	SMTPPassword     string `flag:"smtp-password" env:"VIGIE_SMTP_PASSWORD" default:"" secret:"true" help:"SMTP password"`
	SMTPFrom         string `flag:"smtp-from" env:"VIGIE_SMTP_FROM" default:"" help:"sender of the e-mails, e.g. \"Vigie <vigie@ac-poitiers.fr>\""`
	SMTPTLS          string `flag:"smtp-tls" env:"VIGIE_SMTP_TLS" default:"starttls" help:"starttls, tls (implicit, port 465) or none (a relay on loopback only)"`
	WebhookURL       string `flag:"webhook-url" env:"VIGIE_WEBHOOK_URL" default:"" help:"URL receiving the morning digest and job failures as JSON; empty disables it"`
	WebhookSecret    string `flag:"webhook-secret" env:"VIGIE_WEBHOOK_SECRET" default:"" secret:"true" help:"HMAC-SHA256 key signing the webhook (X-Vigie-Signature), 16 characters or more"`
	PublicURL        string `flag:"public-url" env:"VIGIE_PUBLIC_URL" default:"" help:"Vigie's address as users reach it, for links in e-mails"`
	NotifyRepeatDays int    `flag:"notify-repeat-days" env:"VIGIE_NOTIFY_REPEAT_DAYS" default:"3" help:"an unchanged open item is e-mailed again at most every this many days (users may choose)"`

	// Operations: metrics, the admin port, and how long history is kept.
	MetricsToken         string `flag:"metrics-token" env:"VIGIE_METRICS_TOKEN" default:"" secret:"true" help:"bearer token /metrics requires on the main port (16+ characters); empty: /metrics is open"`
	Migrate              bool   `flag:"migrate" env:"VIGIE_MIGRATE" default:"true" help:"serve applies pending migrations at start; false: leave them to vigie migrate up (a Kubernetes Job), /readyz answers 503 until they are applied"`
	AdminAddr            string `flag:"admin-addr" env:"VIGIE_ADMIN_ADDR" default:"" help:"admin listener (pprof, metrics, run-time log level), e.g. 127.0.0.1:6060; empty: off. It has no login: never publish it"`
	RetentionImportsDays int    `flag:"retention-imports-days" env:"VIGIE_RETENTION_IMPORTS_DAYS" default:"400" help:"original files of imports older than this are deleted (records and extracted facts stay); 0: keep"`
	RetentionResultsDays int    `flag:"retention-results-days" env:"VIGIE_RETENTION_RESULTS_DAYS" default:"800" help:"evaluation results older than this are deleted, except each school's latest; 0: keep"`
}

// Load reads the configuration: defaults, then the environment (getenv), then flags already
// registered on fs by Register and parsed. Call Register, fs.Parse, then Load.
func Load(fs *flag.FlagSet, getenv func(string) string) (Config, error) {
	var c Config
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	v := reflect.ValueOf(&c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		raw, source := f.Tag.Get("default"), "default"
		if e := getenv(f.Tag.Get("env")); e != "" {
			raw, source = e, f.Tag.Get("env")
		}
		if set[f.Tag.Get("flag")] {
			raw, source = fs.Lookup(f.Tag.Get("flag")).Value.String(), "--"+f.Tag.Get("flag")
		}
		if err := setField(v.Field(i), raw); err != nil {
			return Config{}, fmt.Errorf("config %s (from %s): %w", f.Tag.Get("flag"), source, err)
		}
	}
	return c, c.Validate()
}

// Register declares every config flag on fs (values are read back by Load).
func Register(fs *flag.FlagSet) {
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		// The flag package prints the default itself, once (and not when it is empty).
		help := fmt.Sprintf("%s (env %s)", f.Tag.Get("help"), f.Tag.Get("env"))
		if f.Type.Kind() == reflect.Bool {
			fs.Bool(f.Tag.Get("flag"), f.Tag.Get("default") == "true", help)
			continue
		}
		fs.String(f.Tag.Get("flag"), f.Tag.Get("default"), help)
	}
}

// IsFlag reports whether name is a configuration flag.
func IsFlag(name string) bool {
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("flag") == name {
			return true
		}
	}
	return false
}

func setField(v reflect.Value, raw string) error {
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case string:
		v.SetString(raw)
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(n))
	case []string:
		var out []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		v.Set(reflect.ValueOf(out))
	default:
		return fmt.Errorf("unsupported config type %s", v.Type())
	}
	return nil
}

// Validate checks the values that can be checked without I/O.
func (c Config) Validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("config log-format %q: want text or json", c.LogFormat)
	}
	if c.DatabaseURL == "" {
		return fmt.Errorf("config database-url: empty")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("config timezone %q: %w", c.Timezone, err)
	}
	if c.SessionIdle <= 0 || c.SessionMaxAge < c.SessionIdle {
		return fmt.Errorf("config session-idle %s, session-max-age %s: want 0 < idle <= max age", c.SessionIdle, c.SessionMaxAge)
	}
	if c.UploadMaxMB <= 0 {
		return fmt.Errorf("config upload-max-mb %d: want a positive size", c.UploadMaxMB)
	}
	if c.RequestTimeout <= 0 {
		return fmt.Errorf("config request-timeout %s: want a positive duration", c.RequestTimeout)
	}
	if c.OIDCIssuer != "" && (c.OIDCClientID == "" || c.OIDCRedirectURL == "") {
		return fmt.Errorf("config oidc-issuer is set: oidc-client-id and oidc-redirect-url are required too")
	}
	if c.RetentionDays < 30 {
		return fmt.Errorf("config retention-days %d: want 30 days or more", c.RetentionDays)
	}
	if c.JobRetries < 0 || c.JobBackoff <= 0 {
		return fmt.Errorf("config job-retries %d, job-backoff %s: want retries >= 0 and a positive back-off", c.JobRetries, c.JobBackoff)
	}
	if c.SMTPHost != "" {
		if c.SMTPFrom == "" {
			return fmt.Errorf("config smtp-host is set: smtp-from is required too")
		}
		if c.SMTPPort <= 0 || c.SMTPPort > 65535 {
			return fmt.Errorf("config smtp-port %d: want 1 to 65535", c.SMTPPort)
		}
		switch c.SMTPTLS {
		case "starttls", "tls", "none":
		default:
			return fmt.Errorf("config smtp-tls %q: want starttls, tls or none", c.SMTPTLS)
		}
	}
	if c.WebhookURL != "" && len(c.WebhookSecret) < 16 {
		return fmt.Errorf("config webhook-url is set: webhook-secret of 16 characters or more is required too")
	}
	if c.NotifyRepeatDays < 1 || c.NotifyRepeatDays > 30 {
		return fmt.Errorf("config notify-repeat-days %d: want 1 to 30", c.NotifyRepeatDays)
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return fmt.Errorf("config metrics-token: want 16 characters or more")
	}
	for name, days := range map[string]int{"retention-imports-days": c.RetentionImportsDays, "retention-results-days": c.RetentionResultsDays} {
		if days != 0 && days < 30 {
			return fmt.Errorf("config %s %d: want 0 (keep) or 30 days or more", name, days)
		}
	}
	return nil
}

// IsPostgres tells whether the database URL points to PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// Print writes the configuration, one setting a line, secrets masked.
func (c Config) Print(w io.Writer) {
	v := reflect.ValueOf(c)
	t := v.Type()
	width := 0
	for i := 0; i < t.NumField(); i++ {
		width = max(width, len(t.Field(i).Tag.Get("flag")))
	}
	lines := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		val := fmt.Sprint(v.Field(i).Interface())
		switch f.Tag.Get("secret") {
		case "true":
			if val != "" {
				val = "********"
			}
		case "url":
			val = MaskURL(val)
		}
		if val == "" {
			val = emptyMeaning(f.Tag.Get("help"))
		}
		lines = append(lines, fmt.Sprintf("  %-*s %s", width, f.Tag.Get("flag"), val))
	}
	sort.Strings(lines)
	fmt.Fprintln(w, "configuration:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// emptyMeaning says what an empty setting means, from its help text ("...; empty: off" or
// "...; empty disables OIDC login"), so that the printed configuration never shows a blank.
func emptyMeaning(help string) string {
	if _, after, ok := strings.Cut(help, "empty: "); ok {
		after, _, _ = strings.Cut(after, ". ")
		return "(empty: " + after + ")"
	}
	if _, after, ok := strings.Cut(help, "empty "); ok {
		return "(empty: " + after + ")"
	}
	return "(empty)"
}

// MaskURL hides the password of a URL and any password= query parameter.
func MaskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
