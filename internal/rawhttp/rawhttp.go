// Package rawhttp sends one HTTP/1.1 request whose request-target is written
// byte for byte as given. Go's client re-escapes a path ("\" becomes "%5C")
// and cannot send an absolute-form target to a server it is not proxying
// through; attacks on path normalisation need both. Tests only.
package rawhttp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
)

// maxBody bounds what a response body may make the caller read.
const maxBody = 1 << 20

// Response is a response read in full (up to maxBody).
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends method and target to addr with header (a Host header is
// required: it is the request's Host line) and reads the response. The
// connection closes after one request; ctx bounds the whole exchange.
func Do(ctx context.Context, addr, method, target string, header http.Header) (Response, error) {
	if strings.ContainsAny(target, " \r\n") || header.Get("Host") == "" {
		return Response{}, fmt.Errorf("rawhttp: target %q must have no space or line break, and a Host header is required", target)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Response{}, err
	}
	defer c.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	c.SetDeadline(deadline)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, header.Get("Host"))
	names := make([]string, 0, len(header))
	for k := range header {
		if !strings.EqualFold(k, "Host") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return Response{}, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, err
}
