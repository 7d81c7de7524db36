package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the HMAC of a webhook: "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" with the shared secret>". Receivers recompute it and reject old timestamps.
const SignatureHeader = "X-Vigie-Signature"

// Webhook posts signed JSON events to an academy's URL.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhook returns a webhook; client nil uses a client with a 10 s timeout.
func NewWebhook(url, secret string, client *http.Client, now func() time.Time) (*Webhook, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("webhook url %q: want http(s)://", url)
	}
	if len(secret) < 16 {
		return nil, errors.New("webhook secret: want at least 16 characters")
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Webhook{url: url, secret: []byte(secret), client: client, now: now}, nil
}

// URL is where events go.
func (w *Webhook) URL() string { return w.url }

// Sign computes the signature header value of body at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header against body, accepting timestamps within maxAge of now.
func Verify(secret []byte, header string, body []byte, now time.Time, maxAge time.Duration) error {
	var ts, sig string
	for _, p := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("webhook signature: malformed header")
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > maxAge || d < -maxAge {
		return errors.New("webhook signature: timestamp too old")
	}
	want := Sign(secret, t, body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("webhook signature: mismatch")
	}
	return nil
}

// Post sends one event as JSON. Any answer but 2xx is an error.
func (w *Webhook) Post(ctx context.Context, event any) error {
	body, err := json.Marshal(event)
	if err != nil {
		return fmt.Errorf("encode webhook event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigie")
	req.Header.Set(SignatureHeader, Sign(w.secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post webhook: answered %s", resp.Status)
	}
	return nil
}
