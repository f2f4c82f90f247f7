package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
)

// maxDocBytes caps discovery documents and key sets read from the network.
const maxDocBytes = 1 << 20

// KeySetOptions configures a RemoteKeySet.
type KeySetOptions struct {
	Issuer          string
	Discovery       bool
	JWKSURI         string
	CAFile          string
	BearerTokenFile string
	AllowHTTP       bool
	Refresh         time.Duration
	MinRefetch      time.Duration
	Timeout         time.Duration
	// OnFetch observes every fetch attempt (metrics); err is nil on success.
	OnFetch func(err error)
	// OnKeys receives, after every successful fetch, the KeyRef of each key
	// now in the set: cached tokens verified with any other key are evicted.
	OnKeys func(refs map[string]bool)
}

// startupRetry is how long after start an issuer that never loaded is
// retried about once a second; afterwards retries back off to the refresh
// interval, so an issuer that never comes up is not polled every second
// forever (unknown-kid lookups still refetch, at most once per MinRefetch).
const startupRetry = time.Minute

// RemoteKeySet keeps an issuer's JWKS in memory. It is refreshed in the
// background, kept (served stale) when a fetch fails, and refetched when a
// token names an unknown kid — single-flight, and at most once per
// MinRefetch so a flood of forged kids cannot hammer the issuer.
type RemoteKeySet struct {
	opts   KeySetOptions
	client *http.Client

	keys atomic.Pointer[[]jose.JSONWebKey]
	// refs maps a current key's Go value (*rsa.PublicKey, *ecdsa.PublicKey)
	// to its KeyRef, so a verify does not recompute the thumbprint.
	refs    atomic.Pointer[map[any]string]
	loaded  chan struct{}
	once    sync.Once
	sf      singleflight.Group
	mu      sync.Mutex
	lastTry time.Time
	jwksURI string // resolved by discovery; guarded by mu
	now     func() time.Time
	after   func(time.Duration) <-chan time.Time
}

// NewRemoteKeySet builds the key set; it does not fetch until Run or a lookup.
func NewRemoteKeySet(opts KeySetOptions) (*RemoteKeySet, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if opts.CAFile != "" {
		pemBytes, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("issuer %s: reading caFile: %w", opts.Issuer, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("issuer %s: caFile %s holds no PEM certificate", opts.Issuer, opts.CAFile)
		}
		// The bundle replaces the system roots: trusting the cluster CA for
		// this issuer should not also trust every public CA for it.
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	ks := &RemoteKeySet{
		opts:    opts,
		client:  &http.Client{Transport: tr, Timeout: opts.Timeout, CheckRedirect: noRedirect},
		loaded:  make(chan struct{}),
		jwksURI: opts.JWKSURI,
		now:     time.Now,
		after:   time.After,
	}
	empty := []jose.JSONWebKey{}
	ks.keys.Store(&empty)
	return ks, nil
}

// noRedirect refuses redirects: a key set fetched from wherever a redirect
// points is a key set from an unvetted URL.
func noRedirect(*http.Request, []*http.Request) error {
	return errors.New("redirects are not followed")
}

// Loaded reports whether keys have been fetched at least once.
func (ks *RemoteKeySet) Loaded() bool {
	select {
	case <-ks.loaded:
		return true
	default:
		return false
	}
}

// LoadedC is closed once keys are loaded.
func (ks *RemoteKeySet) LoadedC() <-chan struct{} { return ks.loaded }

// SetClock replaces the clock and the timer Run waits on (tests).
func (ks *RemoteKeySet) SetClock(now func() time.Time, after func(time.Duration) <-chan time.Time) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.now, ks.after = now, after
}

// Run refreshes keys until ctx ends. Before the first success, during the
// first minute, it retries quickly (backoff capped at 1s) so readiness
// follows an issuer that comes back within seconds; after that, and after
// any failure once loaded, retries back off up to the refresh interval while
// stale keys (if any) keep serving.
func (ks *RemoteKeySet) Run(ctx context.Context) {
	const first = 100 * time.Millisecond
	ks.mu.Lock()
	now, after := ks.now, ks.after
	ks.mu.Unlock()
	start := now()
	backoff := first
	for {
		wait := ks.opts.Refresh
		if _, err := ks.fetchShared(ctx); err != nil {
			limit := ks.opts.Refresh
			if !ks.Loaded() && now().Sub(start) < startupRetry {
				limit = min(limit, time.Second)
			}
			wait = min(backoff, limit)
			backoff = min(backoff*2, ks.opts.Refresh)
		} else {
			backoff = first
		}
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
	}
}

// Refresh fetches the key set now (shared with a fetch in progress).
func (ks *RemoteKeySet) Refresh(ctx context.Context) error {
	_, err := ks.fetchShared(ctx)
	return err
}

// Keys returns the current keys (possibly stale, possibly empty).
func (ks *RemoteKeySet) Keys() []jose.JSONWebKey { return *ks.keys.Load() }

// Lookup returns the keys usable for kid and alg, refetching once (subject to
// the minimum interval) when kid is unknown.
func (ks *RemoteKeySet) Lookup(ctx context.Context, kid string, alg string) []jose.JSONWebKey {
	if got := matchKeys(ks.Keys(), kid, alg); len(got) > 0 || kid == "" {
		return got
	}
	ks.mu.Lock()
	tooSoon := !ks.lastTry.IsZero() && ks.now().Sub(ks.lastTry) < ks.opts.MinRefetch
	ks.mu.Unlock()
	if tooSoon {
		return nil
	}
	ch := ks.sf.DoChan("fetch", func() (any, error) { return ks.fetch(context.WithoutCancel(ctx)) })
	select {
	case <-ctx.Done():
		return nil
	case <-ch:
	}
	return matchKeys(ks.Keys(), kid, alg)
}

func (ks *RemoteKeySet) fetchShared(ctx context.Context) (any, error) {
	ch := ks.sf.DoChan("fetch", func() (any, error) { return ks.fetch(ctx) })
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		return r.Val, r.Err
	}
}

// fetch performs discovery if needed and replaces the keys on success only.
func (ks *RemoteKeySet) fetch(ctx context.Context) (any, error) {
	ks.mu.Lock()
	ks.lastTry = ks.now()
	uri := ks.jwksURI
	ks.mu.Unlock()
	err := func() error {
		if uri == "" {
			var err error
			if uri, err = ks.discover(ctx); err != nil {
				return err
			}
		}
		var set jose.JSONWebKeySet
		if err := ks.getJSON(ctx, uri, &set); err != nil {
			return err
		}
		keys := usableKeys(set.Keys)
		if len(keys) == 0 {
			return errors.New("key set has no usable signing keys")
		}
		ks.store(keys)
		ks.once.Do(func() { close(ks.loaded) })
		if ks.opts.OnKeys != nil {
			refs := make(map[string]bool, len(keys))
			for _, k := range keys {
				refs[ks.Ref(k)] = true
			}
			ks.opts.OnKeys(refs)
		}
		return nil
	}()
	if err != nil && ks.opts.Discovery {
		// Rediscover next time: the jwks_uri may be what changed.
		ks.mu.Lock()
		ks.jwksURI = ""
		ks.mu.Unlock()
	}
	if ks.opts.OnFetch != nil {
		ks.opts.OnFetch(err)
	}
	return nil, err
}

// discover reads the OpenID Provider metadata. Per OpenID Connect Discovery
// 1.0 §4.3 the returned issuer must equal the configured one exactly.
func (ks *RemoteKeySet) discover(ctx context.Context) (string, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := ks.getJSON(ctx, strings.TrimSuffix(ks.opts.Issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return "", err
	}
	if doc.Issuer != ks.opts.Issuer {
		return "", fmt.Errorf("discovery issuer %q does not match configured issuer %q", doc.Issuer, ks.opts.Issuer)
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || (ks.opts.AllowHTTP && u.Scheme == "http")) {
		return "", fmt.Errorf("discovery jwks_uri %q is not an acceptable URL", doc.JWKSURI)
	}
	ks.mu.Lock()
	ks.jwksURI = doc.JWKSURI
	ks.mu.Unlock()
	return doc.JWKSURI, nil
}

func (ks *RemoteKeySet) getJSON(ctx context.Context, uri string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return err
	}
	// The API server's /openid/v1/jwks answers 406 unless jwk-set+json is acceptable.
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	if ks.opts.BearerTokenFile != "" {
		tok, err := os.ReadFile(ks.opts.BearerTokenFile)
		if err != nil {
			return fmt.Errorf("reading bearerTokenFile: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	resp, err := ks.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocBytes))
		return fmt.Errorf("GET %s: status %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxDocBytes {
		return fmt.Errorf("GET %s: document larger than %d bytes", uri, maxDocBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", uri, err)
	}
	return nil
}

// usableKeys keeps public asymmetric signing keys. Symmetric ("oct") keys are
// dropped: a shared secret in a public JWKS is the HS/RS confusion attack.
func usableKeys(in []jose.JSONWebKey) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range in {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			out = append(out, k)
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			out = append(out, k.Public())
		}
	}
	return out
}

// matchKeys returns keys with the kid (any key when kid is empty) whose
// declared alg, if any, is alg and whose type fits alg.
func matchKeys(keys []jose.JSONWebKey, kid, alg string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if !keyFitsAlg(k.Key, alg) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// keyFitsAlg pins each algorithm family to its key type (and EC curve), so a
// token can never pick how a key is used.
func keyFitsAlg(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")) && k.N.BitLen() >= 2048
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve.Params().Name == "P-256"
		case "ES384":
			return k.Curve.Params().Name == "P-384"
		case "ES512":
			return k.Curve.Params().Name == "P-521"
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// Preload installs keys as if fetched and marks the set loaded. It serves
// fuzzing and benchmarks that must not touch the network.
func (ks *RemoteKeySet) Preload(keys []jose.JSONWebKey) {
	ks.store(usableKeys(keys))
	ks.mu.Lock()
	ks.lastTry = ks.now()
	ks.mu.Unlock()
	ks.once.Do(func() { close(ks.loaded) })
}

// store replaces the keys and their KeyRefs.
func (ks *RemoteKeySet) store(keys []jose.JSONWebKey) {
	refs := make(map[any]string, len(keys))
	for _, k := range keys {
		if hashable(k.Key) {
			refs[k.Key] = KeyRef(k)
		}
	}
	ks.refs.Store(&refs)
	ks.keys.Store(&keys)
}

// Ref is KeyRef(k), precomputed for the current keys.
func (ks *RemoteKeySet) Ref(k jose.JSONWebKey) string {
	if m := ks.refs.Load(); m != nil && hashable(k.Key) {
		if r, ok := (*m)[k.Key]; ok && strings.HasPrefix(r, k.KeyID+"#") {
			return r
		}
	}
	return KeyRef(k)
}

func hashable(key any) bool {
	switch key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		return true
	}
	return false
}

// KeyRef names a key by kid and RFC 7638 thumbprint, so a key replaced under
// the same kid is a different key.
func KeyRef(k jose.JSONWebKey) string {
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return k.KeyID + "#?"
	}
	return k.KeyID + "#" + base64.RawURLEncoding.EncodeToString(tp)
}
