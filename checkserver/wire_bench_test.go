package checkserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// BenchmarkWire is a cached allow over a real loopback connection per
// worker, through each front end as check-server builds it: the server's
// transport cost next to the decision's (BenchmarkFront). Client and server
// share the process, as the load generator and check-server share the cores.
func BenchmarkWire(b *testing.B) {
	e := newBenchEnv(b, nil)
	listen := func(b *testing.B) net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		return l
	}
	b.Run("http", func(b *testing.B) {
		l := listen(b)
		srv := &http.Server{Handler: &HTTPHandler{Checker: e.checker}}
		go func() { _ = srv.Serve(l) }()
		b.Cleanup(func() { _ = srv.Close() })
		url := "http://" + l.Addr().String() + "/api/v1/namespaces"
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+e.token)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	})
	b.Run("grpc", func(b *testing.B) {
		l := listen(b)
		gs := NewGRPCServer(e.checker)
		go func() { _ = gs.Serve(l) }()
		b.Cleanup(gs.Stop)
		req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
			Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Path: "/api/v1/namespaces", Host: "kubeflow.example.com",
				Headers: map[string]string{":method": "GET", ":path": "/api/v1/namespaces", "authorization": "Bearer " + e.token}},
		}}}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			client := authv3.NewAuthorizationClient(conn)
			for pb.Next() {
				resp, err := client.Check(context.Background(), req)
				if err != nil || resp.GetStatus().GetCode() != 0 {
					b.Fatalf("check: %v %v", err, resp.GetStatus())
				}
			}
		})
	})
}
