// Package cli is authconfig-fn's command line: with no arguments it is the
// KRM function (a ResourceList on stdin), otherwise render, validate, schema.
package cli

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

//go:embed kubeflow.yaml
var defaultAuthConfig []byte

// DefaultAuthConfig is the embedded Kubeflow-layout AuthConfig.
func DefaultAuthConfig() []byte { return append([]byte(nil), defaultAuthConfig...) }

const usage = `authconfig-fn: one AuthConfig in, the Istio + oauth2-proxy + Dex auth stack out.

  authconfig-fn                       KRM function: ResourceList on stdin (kpt, kustomize)
  authconfig-fn render [-f FILE] [-o DIR]
                                      write the components (embedded default when no -f)
  authconfig-fn render [-f FILE] --helm DIR [--dex-values FILE] [--istiod-values FILE]
                                      write values for the oauth2-proxy, Dex and istiod charts
  authconfig-fn validate -f FILE      check an AuthConfig, print every problem
  authconfig-fn schema                print the AuthConfig CRD (OpenAPI v3 schema)
  authconfig-fn import -f INSTALL [-o FILE] [-report FILE] [-public-url URL]
                                      write the AuthConfig an existing install amounts to, and a report
`

// Main runs the command and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return function(stdin, stdout, stderr)
	}
	var err error
	switch args[0] {
	case "render":
		err = render(args[1:], stdin, stdout, stderr)
	case "validate":
		err = validate(args[1:], stdin, stdout, stderr)
	case "schema":
		err = schema(stdout)
	case "import":
		err = importCmd(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if err != errReported {
			fmt.Fprintln(stderr, "error:", err)
		}
		return 1
	}
	return 0
}

// function is the KRM function: the fast path when the list is in the
// shape it proves, else the SDK's fn.Execute; the output is the same.
func function(stdin io.Reader, stdout, stderr io.Writer) int {
	in, err := readAll(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "failed to read ResourceList input:", err)
		return 1
	}
	out := bufio.NewWriterSize(stdout, 1<<20)
	results, ok, handled, err := process.Processor{}.Fast(in, out)
	if handled {
		if err == nil {
			err = out.Flush()
		}
		if err == nil && !ok {
			err = errFailure
		}
		return reportFunction(results, err, stderr)
	}
	rec := &recorder{}
	err = fn.Execute(rec, bytes.NewReader(in), stdout)
	return reportFunction(rec.results, err, stderr)
}

// readAll reads the list with the collector kept close behind: the input
// is most of what the fast path holds, and the growing buffer's old copies
// would otherwise stay around until the heap doubled (peak RSS).
func readAll(r io.Reader) ([]byte, error) {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	return io.ReadAll(r)
}

// errFailure is what fn.Execute returns when the processor reports failure.
var errFailure = errors.New("error: function failure")

func reportFunction(results fn.Results, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	// kustomize shows only the function's stderr, never the
	// results in the ResourceList: print the errors there too.
	for _, r := range results {
		if r.Severity == fn.Error {
			fmt.Fprintln(stderr, "error:", resultLine(r))
		}
	}
	fmt.Fprintln(stderr, err)
	if strings.HasPrefix(err.Error(), "failed to read ResourceList input") {
		fmt.Fprintln(stderr, "authconfig-fn without arguments reads a ResourceList (items and a functionConfig) on stdin, as kpt and kustomize send it; to render an AuthConfig file use: authconfig-fn render -f FILE")
	}
	return 1
}

// errReported means the problems were already printed.
var errReported = fmt.Errorf("reported")

func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func readConfig(file string, stdin io.Reader) ([]byte, error) {
	if file == "" {
		return DefaultAuthConfig(), nil
	}
	if file == "-" {
		return io.ReadAll(io.LimitReader(stdin, 2<<20))
	}
	return os.ReadFile(file)
}

// recorder runs the processor and keeps the results it reported.
type recorder struct{ results fn.Results }

func (r *recorder) Process(rl *fn.ResourceList) (bool, error) {
	ok, err := process.Processor{}.Process(rl)
	r.results = rl.Results
	return ok, err
}

// resultLine is "field.path: message", as the validate command prints it.
func resultLine(r *fn.Result) string {
	if r.Field != nil && r.Field.Path != "" {
		return r.Field.Path + ": " + r.Message
	}
	return r.Message
}
