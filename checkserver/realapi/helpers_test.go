package realapi

import (
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"
)

// tamper flips one character of the signature.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 5
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// otherCAPEM is a certificate that did not sign the API server's: the
// one of a throwaway httptest TLS server.
func otherCAPEM(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}
