package jwtauth

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/internal/testissuer"
)

func keySet(t *testing.T, is *testissuer.Issuer, mut func(o *KeySetOptions)) *RemoteKeySet {
	t.Helper()
	o := KeySetOptions{Issuer: is.URL, JWKSURI: is.JWKSURI, CAFile: is.CAFile, Refresh: time.Hour, MinRefetch: time.Hour, Timeout: 2 * time.Second}
	if mut != nil {
		mut(&o)
	}
	ks, err := NewRemoteKeySet(o)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// waitFor polls cond until it holds or the deadline passes; it is readiness
// polling, not a sleep used as synchronisation.
func waitFor(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func TestKeySetFetch(t *testing.T) {
	type scenario struct {
		mut     func(is *testissuer.Issuer, o *KeySetOptions)
		wantErr bool
	}
	tests := map[string]scenario{
		"explicit jwks uri with CA bundle": {},
		"discovery":                        {mut: func(is *testissuer.Issuer, o *KeySetOptions) { o.Discovery, o.JWKSURI = true, "" }},
		"discovery issuer mismatch": {wantErr: true, mut: func(is *testissuer.Issuer, o *KeySetOptions) {
			o.Discovery, o.JWKSURI, o.Issuer = true, "", is.URL+"/"
		}},
		"untrusted CA":   {wantErr: true, mut: func(is *testissuer.Issuer, o *KeySetOptions) { o.CAFile = "" }},
		"issuer down":    {wantErr: true, mut: func(is *testissuer.Issuer, o *KeySetOptions) { is.SetDown(true) }},
		"no usable keys": {wantErr: true, mut: func(is *testissuer.Issuer, o *KeySetOptions) { is.Publish() }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			is := testissuer.New(t, testissuer.Options{TLS: true})
			ks := keySet(t, is, func(o *KeySetOptions) {
				if tc.mut != nil {
					tc.mut(is, o)
				}
			})
			_, err := ks.fetch(context.Background())
			if (err != nil) != tc.wantErr {
				t.Fatalf("fetch err = %v, wantErr %v", err, tc.wantErr)
			}
			if ks.Loaded() == tc.wantErr {
				t.Fatalf("Loaded() = %v after fetch err %v", ks.Loaded(), err)
			}
		})
	}
}

func TestKeySetBearerTokenFile(t *testing.T) {
	is := testissuer.New(t, testissuer.Options{TLS: true})
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte("sa-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ks := keySet(t, is, func(o *KeySetOptions) { o.BearerTokenFile = f })
	if _, err := ks.fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := is.LastAuthorization(); got != "Bearer sa-token" {
		t.Fatalf("JWKS request Authorization = %q", got)
	}
}

func TestKeySetServesStaleOnFailure(t *testing.T) {
	is := testissuer.New(t, testissuer.Options{TLS: true})
	ks := keySet(t, is, nil)
	if _, err := ks.fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	is.SetDown(true)
	if _, err := ks.fetch(context.Background()); err == nil {
		t.Fatal("fetch from a down issuer succeeded")
	}
	if got := ks.Lookup(context.Background(), "k1", "RS256"); len(got) != 1 {
		t.Fatalf("stale key not served: %d keys", len(got))
	}
}

func TestKeySetUnknownKidRefetch(t *testing.T) {
	type scenario struct {
		minRefetch time.Duration
		rotate     bool
		lookups    int
		wantKeys   int
		wantHits   int64
	}
	tests := map[string]scenario{
		"rotation picked up on unknown kid":              {minRefetch: 0, rotate: true, lookups: 1, wantKeys: 1, wantHits: 2},
		"unknown kid refetch rate limited":               {minRefetch: time.Hour, rotate: true, lookups: 5, wantKeys: 0, wantHits: 1},
		"forged kid refetches at most once per interval": {minRefetch: time.Hour, lookups: 20, wantKeys: 0, wantHits: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			is := testissuer.New(t, testissuer.Options{TLS: true})
			ks := keySet(t, is, func(o *KeySetOptions) { o.MinRefetch = tc.minRefetch })
			if _, err := ks.fetch(context.Background()); err != nil {
				t.Fatal(err)
			}
			if tc.rotate {
				is.Publish(testissuer.NewKey(t, "k2", jose.RS256))
			}
			var got []jose.JSONWebKey
			for range tc.lookups {
				got = ks.Lookup(context.Background(), "k2", "RS256")
			}
			if len(got) != tc.wantKeys || is.JWKSHits() != tc.wantHits {
				t.Fatalf("keys = %d (want %d), JWKS hits = %d (want %d)", len(got), tc.wantKeys, is.JWKSHits(), tc.wantHits)
			}
		})
	}
}

func TestKeySetSingleFlight(t *testing.T) {
	is := testissuer.New(t, testissuer.Options{TLS: true})
	ks := keySet(t, is, func(o *KeySetOptions) { o.MinRefetch = 0 })
	is.Publish(testissuer.NewKey(t, "k2", jose.RS256))
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ks.Lookup(context.Background(), "k2", "RS256")
		}()
	}
	wg.Wait()
	// Concurrent misses share fetches; allow a few sequential rounds but far fewer than 50.
	if hits := is.JWKSHits(); hits > 10 {
		t.Fatalf("50 concurrent unknown-kid lookups caused %d JWKS fetches", hits)
	}
}

func TestKeySetOutageAtStart(t *testing.T) {
	is := testissuer.New(t, testissuer.Options{TLS: true})
	is.SetDown(true)
	ks := keySet(t, is, func(o *KeySetOptions) { o.Discovery, o.JWKSURI, o.Refresh = true, "", time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ks.Run(ctx)
	if waitFor(t, 300*time.Millisecond, ks.Loaded) {
		t.Fatal("ready while the issuer is down")
	}
	is.SetDown(false)
	back := time.Now()
	select {
	case <-ks.LoadedC():
		t.Logf("ready %v after the issuer came back", time.Since(back))
	case <-time.After(5 * time.Second):
		t.Fatal("not ready within 5s of the issuer coming back")
	}
}

func TestKeySetBackgroundRefresh(t *testing.T) {
	is := testissuer.New(t, testissuer.Options{TLS: true})
	ks := keySet(t, is, func(o *KeySetOptions) { o.Refresh = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ks.Run(ctx)
	<-ks.LoadedC()
	is.Publish(testissuer.NewKey(t, "k2", jose.ES256))
	if !waitFor(t, 5*time.Second, func() bool { return len(matchKeys(ks.Keys(), "k2", "ES256")) == 1 }) {
		t.Fatal("background refresh did not pick up the new key")
	}
}
