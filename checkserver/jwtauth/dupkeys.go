package jwtauth

import (
	"bytes"
	"encoding/json"
	"errors"
)

// maxJSONDepth bounds nesting in a token's header and claims.
const maxJSONDepth = 32

var errDuplicateKey = errors.New("duplicate member name")

// checkUniqueKeys refuses JSON with a repeated member name in any object.
// encoding/json keeps the last, other parsers the first (RFC 7519 §4 says a
// JWT with duplicate claim names must be rejected or the last used): a
// parser differential with the upstream or the issuer is an identity risk,
// so neither is guessed.
func checkUniqueKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkUnique(dec, 0)
}

// walkUnique consumes one JSON value from dec.
func walkUnique(dec *json.Decoder, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			name, _ := k.(string)
			if seen[name] {
				return errDuplicateKey
			}
			seen[name] = true
			if err := walkUnique(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for dec.More() {
			if err := walkUnique(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}
