package outputcheck

import (
	"meshauth.dev/meshauth/internal/suggest"
)

// unknownFieldMessage says a key is unknown and, when one is close enough
// to be a likely typo, which known key was probably meant.
func unknownFieldMessage(key string, known []string) string {
	if c := closest(key, known); c != "" {
		return "unknown field (did you mean " + c + "?)"
	}
	return "unknown field"
}

// closest is suggest.Closest; one algorithm serves every "did you mean".
func closest(name string, known []string) string { return suggest.Closest(name, known) }
