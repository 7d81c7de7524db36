// Package notify tells people what Vigie found: the morning e-mail digests (each school admin's
// new and still-open to-do items before the GAR handover, with reminders before the campaign's
// deadlines; each supervisor's list of schools that turned red overnight and of those to call
// first), sent over SMTP in French with plain-text and HTML parts, and signed JSON webhooks for
// academies that route alerts elsewhere. What was sent is recorded, so that an unchanged item
// is not repeated more often than its reader's cadence, and a retried digest sends nothing
// twice.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of the SMTP connection.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, required
	TLSImplicit = "tls"      // TLS from the first byte (SMTPS, port 465)
	TLSNone     = "none"     // no encryption: a relay on loopback only
)

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	// From is the sender, e.g. "Vigie <vigie@ac-poitiers.fr>".
	From string
	TLS  string // TLSStartTLS (default), TLSImplicit or TLSNone
	// TLSConfig overrides the TLS client configuration (tests trust their own certificate).
	TLSConfig *tls.Config
	Timeout   time.Duration // default 30 s
}

// Message is one e-mail to one person.
type Message struct {
	To      string // address
	ToName  string
	Subject string
	Text    string
	HTML    string
	// Unsubscribe is the one-click unsubscribe URL (List-Unsubscribe), if any.
	Unsubscribe string
}

// Mailer sends e-mails over SMTP. It is safe for concurrent use.
type Mailer struct {
	cfg  SMTPConfig
	from *mail.Address
}

// NewMailer checks the configuration and returns a Mailer; it does not connect.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	if cfg.Port <= 0 {
		cfg.Port = 587
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	switch cfg.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("smtp tls %q: want starttls, tls or none", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp sender %q: %w", cfg.From, err)
	}
	return &Mailer{cfg: cfg, from: from}, nil
}

// Sender is the configured sender address.
func (m *Mailer) Sender() string { return m.from.Address }

func (m *Mailer) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(m.cfg.Timeout)}
	switch m.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	tc := m.cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	c, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return c, nil
}

// Send sends one message on its own connection.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	g := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	g.FromMailAddress(m.from)
	if err := g.AddToFormat(msg.ToName, msg.To); err != nil {
		return fmt.Errorf("e-mail to %q: %w", msg.To, err)
	}
	g.Subject(msg.Subject)
	g.SetDate()
	g.SetMessageID()
	g.SetGenHeader(gomail.HeaderContentLang, "fr")
	g.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	if msg.Unsubscribe != "" {
		g.SetGenHeader(gomail.Header("List-Unsubscribe"), "<"+msg.Unsubscribe+">")
		g.SetGenHeader(gomail.Header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
	}
	g.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		g.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, g); err != nil {
		return fmt.Errorf("send e-mail to %s: %w", msg.To, err)
	}
	return nil
}
