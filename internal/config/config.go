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
		help := fmt.Sprintf("%s (env %s, default %q)", f.Tag.Get("help"), f.Tag.Get("env"), f.Tag.Get("default"))
		if f.Type.Kind() == reflect.Bool {
			fs.Bool(f.Tag.Get("flag"), f.Tag.Get("default") == "true", help)
			continue
		}
		fs.String(f.Tag.Get("flag"), f.Tag.Get("default"), help)
	}
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
		lines = append(lines, fmt.Sprintf("  %-18s %s", f.Tag.Get("flag"), val))
	}
	sort.Strings(lines)
	fmt.Fprintln(w, "configuration:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
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
