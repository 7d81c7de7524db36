package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// OIDCConfig configures the OpenID Connect login (ProConnect or an academy's provider).
type OIDCConfig struct {
	Issuer       string // e.g. https://auth.agentconnect.gouv.fr/api/v2
	ClientID     string
	ClientSecret string
	RedirectURL  string   // Vigie's callback, e.g. https://vigie.example/api/v1/auth/oidc/callback
	Scopes       []string // added to openid; default email and profile
}

// Enabled tells whether OIDC login is configured.
func (c OIDCConfig) Enabled() bool { return c.Issuer != "" && c.ClientID != "" && c.RedirectURL != "" }

// OIDC is the OpenID Connect client. It discovers the provider on first use (so that Vigie
// starts while the provider is down) and is safe for concurrent use.
type OIDC struct {
	cfg    OIDCConfig
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// NewOIDC returns a client for cfg; client may be nil (a client with a 10 s timeout).
func NewOIDC(cfg OIDCConfig, client *http.Client) (*OIDC, error) {
	if !cfg.Enabled() {
		return nil, errors.New("oidc: issuer, client id and redirect URL are required")
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &OIDC{cfg: cfg, client: client}, nil
}

// ErrProvider means the identity provider could not be reached or answered wrongly.
var ErrProvider = fmt.Errorf("identity provider: %w", apperr.ErrUnavailable)

func (o *OIDC) discover(ctx context.Context) (*oidc.IDTokenVerifier, oauth2.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.verifier, o.oauth, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.cfg.Issuer)
	if err != nil {
		return nil, oauth2.Config{}, fmt.Errorf("discover %s: %w: %w", o.cfg.Issuer, ErrProvider, err)
	}
	scopes := []string{oidc.ScopeOpenID}
	if len(o.cfg.Scopes) == 0 {
		scopes = append(scopes, "email", "profile")
	}
	for _, s := range o.cfg.Scopes {
		if s != oidc.ScopeOpenID {
			scopes = append(scopes, s)
		}
	}
	o.provider = p
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID})
	o.oauth = oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: scopes}
	return o.verifier, o.oauth, nil
}

// Flow is what Vigie keeps between sending the browser to the provider and its return.
type Flow struct {
	State    string // sent to the provider, hashed in the store
	Verifier string // PKCE code verifier, never leaves Vigie
	Nonce    string // bound into the ID token
}

// Start begins a login: it returns the flow to keep and the provider URL to redirect to.
func (o *OIDC) Start(ctx context.Context) (Flow, string, error) {
	_, oc, err := o.discover(ctx)
	if err != nil {
		return Flow{}, "", err
	}
	state, err := NewSecret("")
	if err != nil {
		return Flow{}, "", err
	}
	nonce, err := NewSecret("")
	if err != nil {
		return Flow{}, "", err
	}
	f := Flow{State: state, Verifier: oauth2.GenerateVerifier(), Nonce: nonce}
	url := oc.AuthCodeURL(state, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(nonce))
	return f, url, nil
}

// Identity is who the provider says logged in.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// ErrLogin is a login the provider or the ID token refused; it matches apperr.ErrUnauthorized.
var ErrLogin = fmt.Errorf("oidc login refused: %w", apperr.ErrUnauthorized)

// Finish exchanges the authorisation code (with the PKCE verifier), verifies the ID token
// (signature, issuer, audience, expiry, nonce) and returns the identity.
func (o *OIDC) Finish(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	v, oc, err := o.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	if code == "" {
		return Identity{}, fmt.Errorf("no authorisation code: %w", ErrLogin)
	}
	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return Identity{}, fmt.Errorf("exchange code: %w: %v", ErrLogin, err)
		}
		return Identity{}, fmt.Errorf("exchange code: %w: %w", ErrProvider, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("no id_token in the token response: %w", ErrLogin)
	}
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("verify id token: %w: %v", ErrLogin, err)
	}
	if !Equal(idt.Nonce, nonce) {
		return Identity{}, fmt.Errorf("id token nonce mismatch: %w", ErrLogin)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		UsualName     string `json:"usual_name"` // ProConnect
		FamilyName    string `json:"family_name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("id token claims: %w: %v", ErrLogin, err)
	}
	if claims.Email == "" {
		// Some providers (ProConnect) give the e-mail only at the userinfo endpoint.
		if ui, err := o.userInfo(ctx, tok); err == nil && strings.EqualFold(ui.Subject, idt.Subject) {
			claims.Email, claims.EmailVerified = ui.Email, &ui.EmailVerified
			_ = ui.Claims(&claims)
		}
	}
	name := claims.Name
	if name == "" {
		name = strings.TrimSpace(claims.GivenName + " " + firstNonEmpty(claims.UsualName, claims.FamilyName))
	}
	return Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: strings.ToLower(claims.Email),
		EmailVerified: claims.EmailVerified != nil && *claims.EmailVerified, Name: name}, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (o *OIDC) userInfo(ctx context.Context, tok *oauth2.Token) (*oidc.UserInfo, error) {
	o.mu.Lock()
	p := o.provider
	o.mu.Unlock()
	if p == nil || p.UserInfoEndpoint() == "" {
		return nil, errors.New("no userinfo endpoint")
	}
	return p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
}
