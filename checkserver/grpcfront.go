package checkserver

import (
	"context"
	"net/http"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
)

// GRPCServer is the Envoy ext_authz gRPC service
// (envoy.service.auth.v3.Authorization/Check).
//
// Protocol (envoy service/auth/v3/external_auth.proto): the original request
// is in attributes.request.http — lower-cased headers in `headers` (repeated
// headers joined with ",") or, with encode_raw_headers, in `header_map`
// (one entry per occurrence, value in raw_value); `path` holds path and
// query. A CheckResponse whose status is OK allows and applies
// ok_response.headers and then headers_to_remove; any other status denies
// with denied_response (status, headers, body).
type GRPCServer struct {
	authv3.UnimplementedAuthorizationServer
	Checker *Checker
}

// Check implements the Authorization service.
func (s *GRPCServer) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	hr := req.GetAttributes().GetRequest().GetHttp()
	if hr == nil {
		// Nothing to authenticate: a malformed check is denied, not errored,
		// so failure_mode_allow cannot turn it into an allow.
		return denied(Decision{Status: http.StatusForbidden, Body: "malformed check request\n"}), nil
	}
	r := &Request{Method: hr.GetMethod(), Path: hr.GetPath(), Host: hr.GetHost(), Header: grpcHeaders(hr)}
	d := s.Checker.Check(ctx, "grpc", r)
	if d.Allow {
		d.Remove = presentIn(d.Remove, hr)
	}
	return toCheckResponse(d), nil
}

// presentIn is the part of remove (sorted, lower-case) that the request
// carries. Envoy's gRPC check holds every request header — Istio's
// envoyExtAuthzGrpc provider has no header filter, unlike the HTTP one, whose
// front must name all spellings blind — so an allow needs to name only the
// spoofed headers that are really there: usually none, instead of the ~40
// dash/underscore spellings that cost a string each to encode and decode.
func presentIn(remove []string, hr *authv3.AttributeContext_HttpRequest) []string {
	var out []string
	add := func(k string) {
		k = strings.ToLower(k)
		if _, found := slices.BinarySearch(remove, k); found && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if hm := hr.GetHeaderMap(); len(hm.GetHeaders()) > 0 {
		for _, hv := range hm.GetHeaders() {
			add(hv.GetKey())
		}
	} else {
		for k := range hr.GetHeaders() {
			add(k)
		}
	}
	slices.Sort(out)
	return out
}

func grpcHeaders(hr *authv3.AttributeContext_HttpRequest) http.Header {
	h := http.Header{}
	add := func(k, v string) {
		if strings.HasPrefix(k, ":") {
			return // pseudo-headers are carried in method/path/host
		}
		h.Add(http.CanonicalHeaderKey(k), v)
	}
	if hm := hr.GetHeaderMap(); len(hm.GetHeaders()) > 0 {
		for _, hv := range hm.GetHeaders() {
			v := hv.GetValue()
			if v == "" && len(hv.GetRawValue()) > 0 {
				v = string(hv.GetRawValue())
			}
			add(hv.GetKey(), v)
		}
		return h
	}
	for k, v := range hr.GetHeaders() {
		add(k, v)
	}
	return h
}

func toCheckResponse(d Decision) *authv3.CheckResponse {
	if !d.Allow {
		return denied(d)
	}
	ok := &authv3.OkHttpResponse{HeadersToRemove: d.Remove}
	for _, hv := range d.Upstream {
		ok.Headers = append(ok.Headers, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: strings.ToLower(hv.Name), Value: hv.Value},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	for _, hv := range d.Downstream {
		ok.ResponseHeadersToAdd = append(ok.ResponseHeadersToAdd, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: strings.ToLower(hv.Name), Value: hv.Value},
			AppendAction: corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD,
		})
	}
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{Code: int32(codes.OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok},
	}
}

func denied(d Decision) *authv3.CheckResponse {
	code := codes.PermissionDenied
	switch d.Status {
	case http.StatusUnauthorized, http.StatusFound:
		code = codes.Unauthenticated
	case http.StatusServiceUnavailable:
		code = codes.Unavailable
	}
	dr := &authv3.DeniedHttpResponse{Status: &typev3.HttpStatus{Code: typev3.StatusCode(d.Status)}, Body: d.Body}
	for _, hv := range d.Downstream {
		dr.Headers = append(dr.Headers, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: strings.ToLower(hv.Name), Value: hv.Value},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{Code: int32(code)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: dr},
	}
}
