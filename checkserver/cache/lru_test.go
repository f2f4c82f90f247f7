package cache

import (
	"testing"
	"time"

	"meshauth.dev/meshauth/checkserver/authn"
)

func TestLRU(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	type scenario struct {
		size   int
		maxTTL time.Duration
		run    func(c *LRU, now *time.Time) (hit bool)
		want   bool
	}
	id := func(exp time.Time) authn.Identity { return authn.Identity{User: "u", Expiry: exp} }
	tests := map[string]scenario{
		"hit": {size: 2, maxTTL: time.Minute, want: true, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(time.Hour)), 0)
			_, ok := c.Get(KeyOf("a"))
			return ok
		}},
		"different token misses": {size: 2, maxTTL: time.Minute, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(time.Hour)), 0)
			_, ok := c.Get(KeyOf("b"))
			return ok
		}},
		"expires with the token": {size: 2, maxTTL: time.Hour, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(10*time.Second)), 0)
			*now = t0.Add(10 * time.Second)
			_, ok := c.Get(KeyOf("a"))
			return ok
		}},
		"expires at maxTTL": {size: 2, maxTTL: time.Second, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(time.Hour)), 0)
			*now = t0.Add(time.Second)
			_, ok := c.Get(KeyOf("a"))
			return ok
		}},
		"expires at ttl": {size: 2, maxTTL: time.Hour, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(time.Hour)), 5*time.Second)
			*now = t0.Add(5 * time.Second)
			_, ok := c.Get(KeyOf("a"))
			return ok
		}},
		"already expired not stored": {size: 2, maxTTL: time.Hour, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(-time.Second)), 0)
			return c.Len() != 0
		}},
		"least recently used evicted": {size: 2, maxTTL: time.Hour, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(time.Hour)), 0)
			c.Put(KeyOf("b"), id(t0.Add(time.Hour)), 0)
			c.Get(KeyOf("a"))
			c.Put(KeyOf("c"), id(t0.Add(time.Hour)), 0)
			_, ok := c.Get(KeyOf("b"))
			return ok || c.Len() != 2
		}},
		"size zero caches nothing": {size: 0, maxTTL: time.Hour, run: func(c *LRU, now *time.Time) bool {
			c.Put(KeyOf("a"), id(t0.Add(time.Hour)), 0)
			_, ok := c.Get(KeyOf("a"))
			return ok
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			now := t0
			c := New(tc.size, tc.maxTTL)
			c.SetClock(func() time.Time { return now })
			if got := tc.run(c, &now); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNilLRU(t *testing.T) {
	var c *LRU
	c.Put(KeyOf("a"), authn.Identity{}, time.Hour)
	if _, ok := c.Get(KeyOf("a")); ok || c.Len() != 0 {
		t.Fatal("nil cache returned a hit")
	}
}
