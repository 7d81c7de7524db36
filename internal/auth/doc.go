// Package auth owns how people and scripts prove who they are: password hashing (argon2id),
// random secrets for sessions and personal API tokens (only their SHA-256 is stored), the CSRF
// token of a browser session, login rate limiting, and the OpenID Connect client (authorisation
// code flow with PKCE, go-oidc) through which an academy plugs its identity provider. It knows
// nothing of HTTP frameworks or storage: the HTTP layer and the store call it.
package auth
