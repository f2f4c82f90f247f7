// Package cache is the bounded verified-token cache: an LRU keyed by the
// SHA-256 of the token (the token itself is never stored), whose entries
// expire no later than the token does.
package cache

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
	"unsafe"

	"meshauth.dev/meshauth/checkserver/authn"
)

// Key is the SHA-256 of a credential.
type Key [sha256.Size]byte

// KeyOf hashes a credential. It reads the string's bytes in place: a session
// cookie is kilobytes, and a copy per check would cost more than the hash.
// Sum256 neither keeps nor changes its input.
func KeyOf(token string) Key {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

type entry struct {
	key     Key
	id      authn.Identity
	expires time.Time
}

// LRU is safe for concurrent use. A nil *LRU or one of size 0 caches nothing,
// which is how the cache is switched off for "uncached" benchmarks.
type LRU struct {
	mu     sync.Mutex
	size   int
	maxTTL time.Duration
	ll     *list.List
	items  map[Key]*list.Element
	now    func() time.Time
}

// New returns an LRU holding at most size entries, each for at most maxTTL.
func New(size int, maxTTL time.Duration) *LRU {
	return &LRU{size: size, maxTTL: maxTTL, ll: list.New(), items: map[Key]*list.Element{}, now: time.Now}
}

// SetClock replaces the clock (tests).
func (c *LRU) SetClock(now func() time.Time) { c.now = now }

// Get returns the identity cached for k if it has not expired.
func (c *LRU) Get(k Key) (authn.Identity, bool) {
	if c == nil || c.size <= 0 {
		return authn.Identity{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return authn.Identity{}, false
	}
	e := el.Value.(*entry)
	if !c.now().Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, k)
		return authn.Identity{}, false
	}
	c.ll.MoveToFront(el)
	return e.id, true
}

// Put caches id until the earliest of its Expiry, now+ttl and now+maxTTL.
// An identity without a known expiry is cached for ttl/maxTTL only; one that
// is already expired is not cached.
func (c *LRU) Put(k Key, id authn.Identity, ttl time.Duration) {
	if c == nil || c.size <= 0 {
		return
	}
	now := c.now()
	exp := now.Add(c.maxTTL)
	if ttl > 0 && now.Add(ttl).Before(exp) {
		exp = now.Add(ttl)
	}
	if !id.Expiry.IsZero() && id.Expiry.Before(exp) {
		exp = id.Expiry
	}
	if !now.Before(exp) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		el.Value = &entry{k, id, exp}
		c.ll.MoveToFront(el)
		return
	}
	c.items[k] = c.ll.PushFront(&entry{k, id, exp})
	for c.ll.Len() > c.size {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*entry).key)
	}
}

// EvictIf drops every entry whose identity matches and returns how many.
func (c *LRU) EvictIf(match func(authn.Identity) bool) int {
	if c == nil || c.size <= 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for el := c.ll.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*entry); match(e.id) {
			c.ll.Remove(el)
			delete(c.items, e.key)
			n++
		}
		el = next
	}
	return n
}

// Delete drops k.
func (c *LRU) Delete(k Key) {
	if c == nil || c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.ll.Remove(el)
		delete(c.items, k)
	}
}

// Len returns the number of entries (expired ones included until touched).
func (c *LRU) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
