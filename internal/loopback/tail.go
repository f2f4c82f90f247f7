package loopback

import (
	"sync"
	"unicode/utf8"
)

// Tail keeps the last bytes a program wrote: enough to explain a failure,
// bounded however long the program runs. Safe for concurrent writers
// (stdout and stderr).
type Tail struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool // earlier output was dropped
}

// NewTail keeps the last max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) > t.max {
		p, t.cut = p[len(p)-t.max:], true
	}
	t.buf = append(t.buf, p...)
	// Trimmed only once it holds twice max: one copy per max bytes written,
	// not one per write of a chatty program.
	if len(t.buf) > 2*t.max {
		t.buf, t.cut = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...), true
	}
	return n, nil
}

// String is everything kept: the last max bytes.
func (t *Tail) String() string { return t.Last(t.max) }

// Last is the last n bytes of the output (a few fewer so that it starts
// on a whole character), led by "…" when earlier output is left out.
func (t *Tail) Last(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, cut := t.buf, t.cut
	if len(b) > n {
		b, cut = b[len(b)-n:], true
	}
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	if cut {
		return "…" + string(b)
	}
	return string(b)
}
