package tokenreview

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/cache"
	"meshauth.dev/meshauth/checkserver/config"
)

// Results reported to Guard.OnResult (the metric's label values).
const (
	ResultAuthenticated = "authenticated"
	ResultRejected      = "rejected"
	ResultError         = "error"
	ResultLimited       = "limited"
	ResultNegativeHit   = "negative_cached"
)

// errLimited is the deny of a saturated limiter: invalid (401), never an
// allow and not an outage (a 503 would invite retries).
var errLimited = authn.Invalid("TokenReview limit reached")

// Guard bounds what an attacker can make the API server do. Any JWT-shaped
// bearer with an unconfigured issuer reaches TokenReview, and anyone can mint
// one, so: a token the API server rejected is refused from a negative cache
// (keyed by the token's hash) for negativeCacheTTL; concurrent checks of one
// token share one call (single-flight); and calls are capped globally, both
// in flight (maxConcurrent) and per second (ratePerSecond, burst of the same
// size). A check over a limit is refused without a call.
type Guard struct {
	client   *Client
	negative *cache.LRU
	sf       singleflight.Group
	slots    chan struct{}
	bucket   bucket
	// OnResult observes every guarded review (metrics).
	OnResult func(result string)
	// pending counts callers inside Review (tests wait on it).
	pending atomic.Int64
}

// NewGuard wraps c with the limits of cfg; negativeSize bounds the negative cache.
func NewGuard(c *Client, cfg config.TokenReview, negativeSize int) *Guard {
	return &Guard{
		client:   c,
		negative: cache.New(max(negativeSize, 1), cfg.NegativeCacheTTL.Duration),
		slots:    make(chan struct{}, cfg.MaxConcurrent),
		bucket:   bucket{rate: float64(cfg.RatePerSecond), burst: float64(cfg.RatePerSecond), tokens: float64(cfg.RatePerSecond), now: time.Now},
		OnResult: func(string) {},
	}
}

// SetClock replaces the clock of the rate limit and the negative cache (tests).
func (g *Guard) SetClock(now func() time.Time) {
	g.bucket.mu.Lock()
	g.bucket.now, g.bucket.last = now, time.Time{}
	g.bucket.mu.Unlock()
	g.negative.SetClock(now)
}

// Pending is the number of callers inside Review.
func (g *Guard) Pending() int64 { return g.pending.Load() }

// Review is Client.Review behind the negative cache, single-flight and limits.
func (g *Guard) Review(ctx context.Context, token string, key cache.Key) (authn.Identity, error) {
	g.pending.Add(1)
	defer g.pending.Add(-1)
	if _, bad := g.negative.Get(key); bad {
		g.OnResult(ResultNegativeHit)
		return authn.Identity{}, authn.Invalid("TokenReview: not authenticated")
	}
	ch := g.sf.DoChan(string(key[:]), func() (any, error) {
		// The shared call must not die with the first caller's context.
		return g.call(context.WithoutCancel(ctx), token, key)
	})
	select {
	case <-ctx.Done():
		return authn.Identity{}, authn.Unavailable("TokenReview: check cancelled")
	case r := <-ch:
		if r.Err != nil {
			return authn.Identity{}, r.Err
		}
		return r.Val.(authn.Identity), nil
	}
}

func (g *Guard) call(ctx context.Context, token string, key cache.Key) (authn.Identity, error) {
	select {
	case g.slots <- struct{}{}:
		defer func() { <-g.slots }()
	default:
		g.OnResult(ResultLimited)
		return authn.Identity{}, errLimited
	}
	if !g.bucket.take() {
		g.OnResult(ResultLimited)
		return authn.Identity{}, errLimited
	}
	id, err := g.client.Review(ctx, token)
	switch {
	case err == nil:
		g.OnResult(ResultAuthenticated)
	case errors.Is(err, authn.ErrInvalid):
		// Only the API server's "no" is remembered; outages are not.
		g.negative.Put(key, authn.Identity{}, 0)
		g.OnResult(ResultRejected)
	default:
		g.OnResult(ResultError)
	}
	return id, err
}

// bucket is a token bucket: rate tokens per second, at most burst saved.
type bucket struct {
	mu          sync.Mutex
	rate, burst float64
	tokens      float64
	last        time.Time
	now         func() time.Time
}

func (b *bucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
