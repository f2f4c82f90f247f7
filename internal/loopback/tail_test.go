package loopback

import (
	"strings"
	"sync"
	"testing"
)

// TestTail: the last max bytes survive any number of writes, in order,
// marked when earlier output is gone; a short output comes back whole.
func TestTail(t *testing.T) {
	tail := NewTail(1000)
	tail.Write([]byte("short\n"))
	if got := tail.String(); got != "short\n" {
		t.Errorf("short output = %q, want it whole and unmarked", got)
	}
	var all strings.Builder
	all.WriteString("short\n")
	for i := range 500 {
		line := strings.Repeat(string(rune('a'+i%26)), 37) + "\n"
		all.WriteString(line)
		if n, err := tail.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil (a program must never see a short write)", n, err, len(line))
		}
	}
	want := all.String()
	want = want[len(want)-1000:]
	if got := tail.String(); got != "…"+want {
		t.Errorf("after 18 KiB: kept %d bytes %.40q…, want the last 1000 after a mark", len(got), got)
	}
	if got := tail.Last(100); got != "…"+want[len(want)-100:] {
		t.Errorf("Last(100) = %q, want the last 100 bytes after a mark", got)
	}
	// One write larger than the whole tail.
	big := strings.Repeat("x", 3000) + "end"
	tail.Write([]byte(big))
	if got := tail.String(); got != "…"+big[len(big)-1000:] {
		t.Errorf("after one write of 3003 bytes: %d bytes kept, want its last 1000", len(got))
	}
}

// TestTailWholeCharacters: a cut never starts inside a character.
func TestTailWholeCharacters(t *testing.T) {
	tail := NewTail(64)
	tail.Write([]byte(strings.Repeat("é", 100))) // 2 bytes each
	got := tail.Last(5)
	if got != "…éé" {
		t.Errorf("Last(5) of é… = %q, want two whole é after the mark", got)
	}
}

// TestTailConcurrent: stdout and stderr write at once; no line is torn or
// lost within the bound.
func TestTailConcurrent(t *testing.T) {
	tail := NewTail(1 << 20)
	var wg sync.WaitGroup
	for _, line := range []string{"out\n", "err\n"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				tail.Write([]byte(line))
			}
		}()
	}
	wg.Wait()
	got := tail.String()
	if n := strings.Count(got, "out\n") + strings.Count(got, "err\n"); n != 2000 || len(got) != 8000 {
		t.Errorf("2000 concurrent lines: %d whole lines in %d bytes", n, len(got))
	}
}
