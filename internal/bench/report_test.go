package bench

import (
	"strings"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/loadgen"
)

func point(key string, conns int, rps float64, requests int, cpu time.Duration) *LoadPoint {
	return &LoadPoint{Target: Target{Key: key, Label: key}, Conns: conns,
		Runs: []loadgen.Result{{RPS: rps, Requests: requests}}, CPU: []time.Duration{cpu}}
}

func loadOf(points ...*LoadPoint) *LoadResult {
	l := &LoadResult{Conns: []int{32}, Points: map[string]*LoadPoint{}}
	for _, p := range points {
		l.Points[p.Target.Key+"/32"] = p
		l.Targets = append(l.Targets, p.Target)
	}
	return l
}

func TestVerdicts(t *testing.T) {
	tests := map[string]struct {
		load *LoadResult
		want map[string]bool // target prefix → met
	}{
		"every target met": {
			load: loadOf(point("null", 32, 30000, 1, 0), point("cs-cached-http", 32, 27000, 1000, 20*time.Millisecond),
				point("cs-cached-grpc", 32, 20000, 1000, 30*time.Millisecond), point("o2p-cookie", 32, 9000, 1, 0),
				point("cs-uncached-http", 32, 9000, 1, 0), point("o2p-bearer", 32, 5000, 1, 0)),
			want: map[string]bool{"cached allow ≥ 3×": true, "cached allow ≥ 0.6×": true, "uncached": true, "gRPC": true},
		},
		"every target missed": {
			load: loadOf(point("null", 32, 50000, 1, 0), point("cs-cached-http", 32, 20000, 1000, 20*time.Millisecond),
				point("cs-cached-grpc", 32, 10000, 1000, 40*time.Millisecond), point("o2p-cookie", 32, 9000, 1, 0),
				point("cs-uncached-http", 32, 6000, 1, 0), point("o2p-bearer", 32, 5000, 1, 0)),
			want: map[string]bool{"cached allow ≥ 3×": false, "cached allow ≥ 0.6×": false, "uncached": false, "gRPC": false},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			vs := verdicts(&Report{Load: tc.load})
			if len(vs) != len(tc.want) {
				t.Fatalf("got %d verdicts, want %d: %+v", len(vs), len(tc.want), vs)
			}
			for _, v := range vs {
				for prefix, met := range tc.want {
					if strings.HasPrefix(v.Target, prefix) && v.Met != met {
						t.Errorf("%s (%s): met=%v, want %v", v.Target, v.Measured, v.Met, met)
					}
				}
			}
		})
	}
}

func TestCPUPerReq(t *testing.T) {
	p := LoadPoint{Runs: []loadgen.Result{{Requests: 1000}, {Requests: 3000}}, CPU: []time.Duration{40 * time.Millisecond, 40 * time.Millisecond}}
	if got := p.CPUPerReq(); got != 20 {
		t.Errorf("CPUPerReq = %v µs, want 20", got)
	}
	if got := (LoadPoint{}).CPUPerReq(); got != 0 {
		t.Errorf("no runs: CPUPerReq = %v, want 0", got)
	}
}

func TestParseGoBench(t *testing.T) {
	out := "goos: linux\npkg: meshauth.dev/meshauth/checkserver\n" +
		"BenchmarkFront/http-2   \t  622255\t      5145 ns/op\t    3712 B/op\t      18 allocs/op\n" +
		"BenchmarkProcess/kubeflow-503-2 \t 5\t 11662248 ns/op\t 765.22 MB/s\t 5586918 B/op\t 49978 allocs/op\nPASS\n"
	got, err := parseGoBench(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []GoBench{
		{Pkg: "checkserver", Name: "Front/http", N: 622255, NsPerOp: 5145, BytesPerOp: 3712, AllocsPerOp: 18},
		{Pkg: "checkserver", Name: "Process/kubeflow-503", N: 5, NsPerOp: 11662248, MBps: 765.22, BytesPerOp: 5586918, AllocsPerOp: 49978},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestRenderShowsEveryRow(t *testing.T) {
	l := loadOf(point("null", 32, 30000, 1, 0), point("cs-cached-http", 32, 27000, 1000, 20*time.Millisecond),
		point("o2p-cookie", 32, 9000, 1, 0))
	out, err := Render(&Full{Report: &Report{Load: l}, Verdicts: []Verdict{{"a target", "1.00×", true}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| a target | 1.00× | **met** |", "| cs-cached-http |", "| 20.0 |"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := map[string]struct {
		in   []float64
		want float64
	}{
		"none": {nil, 0},
		"odd":  {[]float64{3, 1, 2}, 2},
		"even": {[]float64{4, 1, 3, 2}, 2.5},
	}
	for name, tc := range tests {
		if got := median(tc.in); got != tc.want {
			t.Errorf("%s: median = %v, want %v", name, got, tc.want)
		}
	}
}
