package jwtauth

import (
	"errors"
	"testing"
)

func TestCheckUniqueKeys(t *testing.T) {
	tests := map[string]error{
		`{}`:                                nil,
		`{"a":1,"b":[1,{"a":2}],"c":"x"}`:   nil,
		` {"a" : { } , "b" : [ ] } `:        nil,
		`{"a":"q\"uote","b":true,"c":null}`: nil,
		`{"a":1,"a":2}`:                     errDuplicateKey,
		`{"a":1,"\u0061":2}`:                errDuplicateKey,
		`{"x":{"a":1,"a":2}}`:               errDuplicateKey,
		`[{"a":1},{"a":1,"b":2,"a":3}]`:     errDuplicateKey,
		`{"a":1`:                            errBadJSON,
		`{"a":1}x`:                          errBadJSON,
		`{"a" 1}`:                           errBadJSON,
		``:                                  errBadJSON,
	}
	for in, want := range tests {
		if got := checkUniqueKeys([]byte(in)); !errors.Is(got, want) && !(got == nil && want == nil) {
			t.Errorf("checkUniqueKeys(%s) = %v, want %v", in, got, want)
		}
	}
}
