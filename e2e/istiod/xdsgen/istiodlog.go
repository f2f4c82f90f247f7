package xdsgen

import (
	"os"
	"strings"
	"sync"

	"go.uber.org/zap/zapcore"

	"istio.io/istio/pkg/log"
)

// istiod reports some of its decisions only in its log (a CUSTOM policy whose provider is unknown,
// a JWKS it could not fetch): keep every error line as a warning message, and send only errors to
// stderr so the caller's output stays readable.
var istiodLog struct {
	mu    sync.Mutex
	seen  map[string]bool
	lines []string
}

func configureLog() error {
	opts := log.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	opts.ErrorOutputPaths = []string{"stderr"}
	opts.SetDefaultOutputLevel(log.OverrideScopeName, log.ErrorLevel)
	opts.WithExtension(func(c zapcore.Core) (zapcore.Core, func() error, error) {
		return captureCore{c}, func() error { return nil }, nil
	})
	if os.Getenv("ISTIOD_XDS_LOG") == "debug" {
		opts.SetDefaultOutputLevel(log.OverrideScopeName, log.DebugLevel)
	}
	return log.Configure(opts)
}

// takeLog returns the error lines logged since the last call, each once.
func takeLog() []string {
	istiodLog.mu.Lock()
	defer istiodLog.mu.Unlock()
	out := istiodLog.lines
	istiodLog.lines = nil
	istiodLog.seen = nil
	return out
}

type captureCore struct{ zapcore.Core }

func (c captureCore) With(f []zapcore.Field) zapcore.Core { return captureCore{c.Core.With(f)} }

func (c captureCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// fakeSetupNoise is logged by the fake discovery server's own setup, not about the input.
var fakeSetupNoise = []string{"expected to have a v1.6.0 annotation"}

func (c captureCore) Write(e zapcore.Entry, f []zapcore.Field) error {
	for _, n := range fakeSetupNoise {
		if strings.Contains(e.Message, n) {
			return nil
		}
	}
	if e.Level >= zapcore.ErrorLevel {
		line := e.Message
		if e.LoggerName != "" {
			line = e.LoggerName + ": " + line
		}
		istiodLog.mu.Lock()
		if istiodLog.seen == nil {
			istiodLog.seen = map[string]bool{}
		}
		if !istiodLog.seen[line] {
			istiodLog.seen[line] = true
			istiodLog.lines = append(istiodLog.lines, line)
		}
		istiodLog.mu.Unlock()
	}
	return c.Core.Write(e, f)
}
