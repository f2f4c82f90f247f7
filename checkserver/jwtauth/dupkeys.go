package jwtauth

import (
	"encoding/json"
	"errors"
)

// maxJSONDepth bounds nesting in a token's header and claims.
const maxJSONDepth = 32

var (
	errDuplicateKey = errors.New("duplicate member name")
	errBadJSON      = errors.New("malformed JSON")
)

// checkUniqueKeys refuses JSON with a repeated member name in any object.
// encoding/json keeps the last, other parsers the first (RFC 7519 §4: a JWT
// with duplicate claim names must be rejected or the last one used): a
// parser differential with the upstream or the issuer is an identity risk,
// so neither is guessed. Names are compared after unescaping ("a" and
// "\u0061" are the same name). A small scanner, not json.Decoder.Token:
// this runs on every uncached token and must not allocate per token.
func checkUniqueKeys(data []byte) error {
	sc := scanner{b: data}
	if err := sc.value(0); err != nil {
		return err
	}
	sc.ws()
	if sc.i != len(sc.b) {
		return errBadJSON
	}
	return nil
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *scanner) value(depth int) error {
	if depth > maxJSONDepth {
		return errBadJSON
	}
	s.ws()
	if s.i >= len(s.b) {
		return errBadJSON
	}
	switch s.b[s.i] {
	case '{':
		var seen map[string]struct{}
		return s.list('}', func() error {
			name, err := s.str()
			if err != nil {
				return err
			}
			if seen == nil {
				seen = map[string]struct{}{}
			}
			if _, dup := seen[name]; dup {
				return errDuplicateKey
			}
			seen[name] = struct{}{}
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return errBadJSON
			}
			s.i++
			return s.value(depth + 1)
		})
	case '[':
		return s.list(']', func() error { return s.value(depth + 1) })
	case '"':
		_, err := s.str()
		return err
	default: // number, true, false, null: up to the next delimiter
		start := s.i
		for s.i < len(s.b) && s.b[s.i] != ',' && s.b[s.i] != '}' && s.b[s.i] != ']' && s.b[s.i] != ' ' &&
			s.b[s.i] != '\t' && s.b[s.i] != '\n' && s.b[s.i] != '\r' {
			s.i++
		}
		if s.i == start {
			return errBadJSON
		}
		return nil
	}
}

// list reads the items of an object or array (the opening bracket at s.i)
// up to its closing byte.
func (s *scanner) list(closing byte, item func() error) error {
	s.i++
	for first := true; ; first = false {
		s.ws()
		if first && s.i < len(s.b) && s.b[s.i] == closing {
			s.i++
			return nil
		}
		s.ws()
		if err := item(); err != nil {
			return err
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(s.b) && s.b[s.i] == closing {
			s.i++
			return nil
		}
		return errBadJSON
	}
}

// str reads a string literal and returns its value, unescaped when needed.
func (s *scanner) str() (string, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", errBadJSON
	}
	start, escaped := s.i, false
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i++
		case '"':
			s.i++
			lit := s.b[start:s.i]
			if !escaped {
				return string(lit[1 : len(lit)-1]), nil
			}
			var v string
			if err := json.Unmarshal(lit, &v); err != nil {
				return "", errBadJSON
			}
			return v, nil
		}
	}
	return "", errBadJSON
}
