package realapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/tokenreview"
)

// TestTokenReview judges real ServiceAccount tokens through the
// TokenReview API, with check-server's own credentials from the emitted
// RBAC and from system:auth-delegator.
func TestTokenReview(t *testing.T) {
	f, ctx := setup(t)
	good := f.callerToken(t, ctx, callerSA, audience)
	for _, own := range []struct{ name, file string }{{"emitted RBAC", f.emittedToken}, {"system:auth-delegator", f.delegatorToken}} {
		t.Run(own.name, func(t *testing.T) {
			c, err := tokenreview.New(f.tokenReview(own.file))
			if err != nil {
				t.Fatal(err)
			}
			id, err := c.Review(ctx, good)
			if err != nil {
				t.Fatalf("a fresh token of %s/%s for %q: %v", ns, callerSA, audience, err)
			}
			if want := "system:serviceaccount:" + ns + ":" + callerSA; id.User != want || !slices.Contains(id.Groups, "system:serviceaccounts:"+ns) {
				t.Fatalf("identity = %+v, want user %s in group system:serviceaccounts:%s", id, want, ns)
			}
			for name, tok := range map[string]string{
				"wrong audience": f.callerToken(t, ctx, callerSA, "someone-else"),
				"API audience":   f.callerToken(t, ctx, callerSA),
				"expired":        f.expired(t, good),
				"tampered":       tamper(good),
				"not a token":    "not-a-jwt",
				"other issuer":   strings.Replace(good, ".", ".x", 1),
			} {
				if _, err := c.Review(ctx, tok); !errors.Is(err, authn.ErrInvalid) {
					t.Errorf("%s: Review = %v, want invalid", name, err)
				}
			}
		})
	}
}

// TestTokenReviewDeletedServiceAccount: a token outlives nothing — once its
// ServiceAccount is deleted, TokenReview refuses it (the API server checks
// the account's UID; a JWT verifier alone cannot know).
func TestTokenReviewDeletedServiceAccount(t *testing.T) {
	f, ctx := setup(t)
	if err := createSA(ctx, f.s, ns, "doomed"); err != nil {
		t.Fatal(err)
	}
	tok := f.callerToken(t, ctx, "doomed", audience)
	c, err := tokenreview.New(f.tokenReview(f.emittedToken))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Review(ctx, tok); err != nil {
		t.Fatalf("before the deletion: %v", err)
	}
	if err := f.s.Delete(ctx, "v1", "ServiceAccount", ns, "doomed"); err != nil {
		t.Fatal(err)
	}
	poll(t, "TokenReview refuses the deleted account's token", 30*time.Second, func() (bool, string) {
		_, err := c.Review(ctx, tok)
		return errors.Is(err, authn.ErrInvalid), fmt.Sprint(err)
	})
}

// TestTokenReviewOwnCredentials: when check-server itself may not create
// TokenReviews (403), or its own token is refused (401), or the CA does
// not match, the review is an outage (503 upstream), never a verdict, and
// the reason says what to fix.
func TestTokenReviewOwnCredentials(t *testing.T) {
	f, ctx := setup(t)
	good := f.callerToken(t, ctx, callerSA, audience)
	bogus := filepath.Join(t.TempDir(), "bogus.token")
	if err := os.WriteFile(bogus, []byte(tamper(good)), 0o600); err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(otherCA, []byte(otherCAPEM(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		tokenFile, caFile, reason string
	}{
		"no RBAC binding (403)":   {f.unboundToken, "", "system:auth-delegator"},
		"own token refused (401)": {bogus, "", "tokenFile"},
		"untrusted API server":    {f.emittedToken, otherCA, "unreachable"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := f.tokenReview(tc.tokenFile)
			if tc.caFile != "" {
				cfg.CAFile = tc.caFile
			}
			c, err := tokenreview.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Review(context.Background(), good)
			if !errors.Is(err, authn.ErrUnavailable) || !strings.Contains(authn.Reason(err), tc.reason) {
				t.Fatalf("Review = %v, want unavailable naming %q", err, tc.reason)
			}
		})
	}
}
