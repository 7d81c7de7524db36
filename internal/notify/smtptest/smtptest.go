// Package smtptest runs a small SMTP server on loopback for tests: EHLO, STARTTLS with a
// certificate made for the test, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It
// keeps every message it accepts, so that a test asserts what a real SMTP client delivered.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte // as received, dot-unstuffed, CRLF line ends
	TLS  bool   // sent over TLS
	User string // authenticated user, "" without AUTH
}

// Options configure the server.
type Options struct {
	// TLS offers STARTTLS with a certificate for 127.0.0.1 made for the test.
	TLS bool
	// Username and Password, when set, are required (AUTH PLAIN or LOGIN, over TLS when TLS
	// is on).
	Username, Password string
	// Reject, when set, refuses a recipient with a permanent error when it returns true.
	Reject func(rcpt string) bool
}

// Server is a running test SMTP server.
type Server struct {
	Addr string
	opts Options
	ln   net.Listener
	cert tls.Certificate
	pool *x509.CertPool

	mu   sync.Mutex
	msgs []Message
	got  chan struct{}
	wg   sync.WaitGroup
}

// Start starts a server on 127.0.0.1 for the test; it stops at the end of the test.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), opts: opts, ln: ln, got: make(chan struct{}, 1024)}
	if opts.TLS {
		if s.cert, s.pool, err = selfSigned(); err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// Host and Port of the server.
func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.Addr); return h }

// Port of the server.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	var n int
	fmt.Sscanf(p, "%d", &n)
	return n
}

// ClientTLS is a client configuration that trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits until n messages were accepted, or fails the test after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("smtptest: %d message(s) received, want %d", len(s.Messages()), n)
			return nil
		}
	}
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			s.session(c)
		}()
	}
}

type session struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	tls  bool
	user string
	from string
	to   []string
}

func (ss *session) reply(code int, lines ...string) {
	for i, l := range lines {
		sep := " "
		if i < len(lines)-1 {
			sep = "-"
		}
		fmt.Fprintf(ss.w, "%d%s%s\r\n", code, sep, l)
	}
	_ = ss.w.Flush()
}

func (ss *session) line() (string, error) {
	l, err := ss.r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err
}

func (s *Server) session(c net.Conn) {
	ss := &session{conn: c, r: bufio.NewReader(c), w: bufio.NewWriter(c)}
	ss.reply(220, "smtptest ESMTP")
	for {
		l, err := ss.line()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(l, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"smtptest", "8BITMIME", "PIPELINING"}
			if s.opts.TLS && !ss.tls {
				ext = append(ext, "STARTTLS")
			}
			if s.opts.Username != "" && (ss.tls || !s.opts.TLS) {
				ext = append(ext, "AUTH PLAIN LOGIN")
			}
			ss.reply(250, ext...)
		case "STARTTLS":
			if !s.opts.TLS || ss.tls {
				ss.reply(502, "not available")
				continue
			}
			ss.reply(220, "go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12})
			if err := tc.Handshake(); err != nil {
				return
			}
			ss.conn, ss.r, ss.w, ss.tls = tc, bufio.NewReader(tc), bufio.NewWriter(tc), true
			ss.user, ss.from, ss.to = "", "", nil
		case "AUTH":
			s.auth(ss, arg)
		case "MAIL":
			if s.opts.Username != "" && ss.user == "" {
				ss.reply(530, "authentication required")
				continue
			}
			if s.opts.TLS && !ss.tls {
				ss.reply(530, "must issue STARTTLS first")
				continue
			}
			ss.from, ss.to = addr(arg), nil
			ss.reply(250, "ok")
		case "RCPT":
			rcpt := addr(arg)
			if s.opts.Reject != nil && s.opts.Reject(rcpt) {
				ss.reply(550, "no such user")
				continue
			}
			ss.to = append(ss.to, rcpt)
			ss.reply(250, "ok")
		case "DATA":
			if ss.from == "" || len(ss.to) == 0 {
				ss.reply(503, "need MAIL and RCPT")
				continue
			}
			ss.reply(354, "end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := ss.line()
				if err != nil {
					return
				}
				if l == "." {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
				b.WriteString("\r\n")
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, Message{From: ss.from, To: ss.to, Data: []byte(b.String()), TLS: ss.tls, User: ss.user})
			s.mu.Unlock()
			select {
			case s.got <- struct{}{}:
			default:
			}
			ss.from, ss.to = "", nil
			ss.reply(250, "queued")
		case "RSET":
			ss.from, ss.to = "", nil
			ss.reply(250, "ok")
		case "NOOP":
			ss.reply(250, "ok")
		case "QUIT":
			ss.reply(221, "bye")
			return
		default:
			ss.reply(502, "unknown command")
		}
	}
}

func (s *Server) auth(ss *session, arg string) {
	if s.opts.Username == "" || (s.opts.TLS && !ss.tls) {
		ss.reply(502, "not available")
		return
	}
	mech, initial, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if initial == "" {
			ss.reply(334, "")
			l, err := ss.line()
			if err != nil {
				return
			}
			initial = l
		}
		b, err := base64.StdEncoding.DecodeString(initial)
		if err != nil {
			ss.reply(501, "bad base64")
			return
		}
		parts := strings.Split(string(b), "\x00")
		if len(parts) != 3 {
			ss.reply(501, "bad PLAIN")
			return
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		ss.reply(334, base64.StdEncoding.EncodeToString([]byte("Username:")))
		l, err := ss.line()
		if err != nil {
			return
		}
		u, _ := base64.StdEncoding.DecodeString(l)
		ss.reply(334, base64.StdEncoding.EncodeToString([]byte("Password:")))
		l, err = ss.line()
		if err != nil {
			return
		}
		p, _ := base64.StdEncoding.DecodeString(l)
		user, pass = string(u), string(p)
	default:
		ss.reply(504, "mechanism not supported")
		return
	}
	if user != s.opts.Username || pass != s.opts.Password {
		ss.reply(535, "authentication failed")
		return
	}
	ss.user = user
	ss.reply(235, "authenticated")
}

// addr extracts the address of "FROM:<a@b> BODY=8BITMIME".
func addr(arg string) string {
	if i := strings.IndexByte(arg, '<'); i >= 0 {
		if j := strings.IndexByte(arg[i:], '>'); j >= 0 {
			return arg[i+1 : i+j]
		}
	}
	_, a, _ := strings.Cut(arg, ":")
	return strings.TrimSpace(a)
}

// selfSigned makes a certificate for 127.0.0.1, valid for the test.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, nil
}
