package checkserver

import (
	"meshauth.dev/meshauth/checkserver/cache"
	"meshauth.dev/meshauth/checkserver/jwtauth"
)

// Verifier exposes the JWT verifier, for tests only (they set its clock).
func (c *Checker) Verifier() *jwtauth.Verifier { return c.jwt }

// Cache exposes the token cache, for tests only (they set its clock).
func (c *Checker) Cache() *cache.LRU { return c.cache }
