package httpapi

// Request bodies of the API (JSON). Unknown fields are refused.

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type tokenRequest struct {
	Name          string   `json:"name"`
	Scopes        []string `json:"scopes"`          // read, write, or action names
	ExpiresInDays int      `json:"expires_in_days"` // default 90, at most 366
}

type academyRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type exemptionRequest struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
	Until  string `json:"until"` // YYYY-MM-DD, inclusive
}

type userRequest struct {
	Login    string `json:"login"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password,omitempty"` // optional: OIDC-only accounts have none
}

type userUpdateRequest struct {
	Name     *string `json:"name,omitempty"`
	Email    *string `json:"email,omitempty"`
	Password *string `json:"password,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

type grantRequest struct {
	Academy string   `json:"academy,omitempty"` // code; empty for platform_admin
	Role    string   `json:"role"`
	UAIs    []string `json:"uais,omitempty"`
}

// Response wrappers of unpaged lists.
type itemsOf[T any] struct {
	Items []T `json:"items"`
}

type trendResponse struct {
	Academy string      `json:"academy"`
	Since   string      `json:"since"`
	Points  []trendJSON `json:"points"`
}
