package checkserver

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestHeaderParsingSameOnBothFronts (issue 16): the Authorization and Cookie
// headers go through one parser each, so both fronts decide alike: a
// trailing space (Go's HTTP server trims it, a gRPC check may carry it) is
// the same token, and CR/LF in a header is an invalid credential (401), not
// an outage (503).
func TestHeaderParsingSameOnBothFronts(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.token(t, nil)
	type scenario struct {
		header [][2]string
		status int
	}
	tests := map[string]scenario{
		"trailing space after the token":  {header: [][2]string{{"Authorization", "Bearer " + tok + " "}}, status: http.StatusOK},
		"leading space before the scheme": {header: [][2]string{{"Authorization", " Bearer " + tok}}, status: http.StatusOK},
		"trailing space after the cookie": {header: [][2]string{{"Cookie", goodCookie + " "}}, status: http.StatusOK},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := h.both(t, req{path: "/api/x", header: tc.header}); got.Status != tc.status {
				t.Fatalf("status %d, want %d", got.Status, tc.status)
			}
		})
	}

	// CR/LF cannot cross the HTTP front (net/http answers 400 before any
	// check, and Envoy would not build such a check); over gRPC it is 401.
	crlf := map[string][2]string{
		"CR/LF in the cookie":        {"Cookie", goodCookie + "\r\nkubeflow-userid: admin"},
		"CR/LF in the Authorization": {"Authorization", "Bearer " + tok + "\r\nkubeflow-userid: admin"},
		"NUL in the cookie":          {"Cookie", goodCookie + "\x00"},
	}
	for name, hv := range crlf {
		t.Run(name, func(t *testing.T) {
			if got := h.viaGRPC(t, req{path: "/api/x", header: [][2]string{hv}}); got.Allow || got.Status != http.StatusUnauthorized {
				t.Fatalf("gRPC: status %d allow %v, want 401", got.Status, got.Allow)
			}
			// Raw CR LF would just start another header line: send a bare CR.
			v := strings.ReplaceAll(hv[1], "\r\n", "\r")
			if got := rawHTTPStatus(t, h.httpURL, "GET /api/x HTTP/1.1\r\nHost: x\r\n"+hv[0]+": "+v+"\r\n\r\n"); got == http.StatusOK {
				t.Fatalf("HTTP: status %d, want no allow", got)
			}
		})
	}
}

// rawHTTPStatus writes a raw request to the HTTP front and returns the status.
func rawHTTPStatus(t *testing.T, base, raw string) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
