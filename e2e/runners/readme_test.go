package runners_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readmeSkips are README commands TestREADME does not run, each with the
// reason. An entry whose command is no longer in the README fails the test.
var readmeSkips = map[string]string{
	"make test": "it is the suite this test runs in",
}

// TestREADME runs every command in README.md exactly as written, in order,
// in a fresh copy of the repository (its tracked and unignored files as they
// are in the work tree) after `make build` and with ./bin/kustomize and
// ./bin/kpt linked in, the state `make build tools` leaves. ./bin is not on
// PATH: a command must name ./bin/kustomize itself. Nothing is special-cased
// per command, so a command added to the README is run too:
//
//   - a ```sh block runs as one bash script (set -euo pipefail) and must
//     exit 0; a `kustomize build` in it must print the auth stack (objects
//     labelled app.kubernetes.io/managed-by: meshauth), never the upstream
//     objects alone;
//   - a ```console block holds `$ command` lines, each followed by exactly
//     what the command prints (stdout and stderr);
//   - a block that mentions podman (or the docker shim) runs after `make
//     images` and is skipped, with the reason, where podman cannot run;
//   - every fence must name its language, so no command hides in an
//     unlabelled block; yaml, text and the like are not run.
func TestREADME(t *testing.T) {
	root := repoRoot(t)
	kustomize, kpt := tool(t, "kustomize"), tool(t, "kpt")
	text, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, string(text))
	checkSkipsUsed(t, blocks)

	clone := freshCopy(t, root)
	if err := os.MkdirAll(filepath.Join(clone, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"kustomize": kustomize, "kpt": kpt} {
		target, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(clone, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	env := readmeEnv(t)
	must(t, runIn(clone, env, "make", "build"), "make build in the fresh copy")
	checkMakeTargets(t, string(text), clone, env)

	for _, b := range blocks {
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			if strings.Contains(b.body, "podman") || strings.Contains(b.body, "docker-shim") {
				podmanReady(t) // `make images`; skips with the reason where podman cannot run
			}
			switch b.lang {
			case "console":
				runTranscript(t, clone, env, b)
			default:
				runScript(t, clone, env, b)
			}
		})
	}
}

type readmeBlock struct {
	lang, body string
	line       int // of the opening fence
}

var fence = regexp.MustCompile("^```(.*)$")

// readmeBlocks returns the command blocks (sh, bash, shell, console).
func readmeBlocks(t *testing.T, text string) []readmeBlock {
	t.Helper()
	var out []readmeBlock
	var cur *readmeBlock
	var body []string
	for i, line := range strings.Split(text, "\n") {
		m := fence.FindStringSubmatch(line)
		switch {
		case m == nil:
			if cur != nil {
				body = append(body, line)
			}
		case cur == nil:
			lang := strings.TrimSpace(m[1])
			if lang == "" {
				t.Errorf("README.md line %d: a fence without a language; write ```sh for commands, ```text or ```yaml for the rest", i+1)
			}
			cur = &readmeBlock{lang: lang, line: i + 1}
			body = nil
		default:
			cur.body = strings.Join(body, "\n") + "\n"
			switch cur.lang {
			case "sh", "bash", "shell", "console":
				out = append(out, *cur)
			}
			cur = nil
		}
	}
	if cur != nil {
		t.Fatalf("README.md line %d: the fence is never closed", cur.line)
	}
	if len(out) < 5 {
		t.Fatalf("found %d command blocks in README.md; the parser is broken", len(out))
	}
	return out
}

// command is a script line without its trailing comment, for readmeSkips.
func command(line string) string {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

func checkSkipsUsed(t *testing.T, blocks []readmeBlock) {
	for cmd := range readmeSkips {
		found := false
		for _, b := range blocks {
			for _, l := range strings.Split(b.body, "\n") {
				found = found || command(l) == cmd
			}
		}
		if !found {
			t.Errorf("readmeSkips lists %q, which README.md no longer has; remove the entry", cmd)
		}
	}
}

func runScript(t *testing.T, dir string, env []string, b readmeBlock) {
	var script []string
	for _, l := range strings.Split(b.body, "\n") {
		if why, ok := readmeSkips[command(l)]; ok {
			t.Logf("not run: %s (%s)", command(l), why)
			continue
		}
		script = append(script, l)
	}
	r := runIn(dir, env, "bash", "-euo", "pipefail", "-c", strings.Join(script, "\n"))
	if r.err != nil {
		t.Fatalf("README.md line %d: the commands failed:\n%s\nstdout: %s", b.line, r, kinds(r.stdout))
	}
	if strings.Contains(b.body, "kustomize build") && !strings.Contains(r.stdout, "app.kubernetes.io/managed-by: meshauth") {
		t.Errorf("README.md line %d: kustomize build exited 0 without the auth stack (the function did not run); it printed %s", b.line, kinds(r.stdout))
	}
}

// runTranscript runs each `$ command` and compares what it prints.
func runTranscript(t *testing.T, dir string, env []string, b readmeBlock) {
	type step struct {
		cmd  string
		want []string
	}
	var steps []step
	for _, l := range strings.Split(strings.TrimSuffix(b.body, "\n"), "\n") {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			steps = append(steps, step{cmd: c})
			continue
		}
		if len(steps) == 0 {
			t.Fatalf("README.md line %d: a console block must start with `$ command`", b.line)
		}
		steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
	}
	for _, s := range steps {
		cmd := exec.Command("bash", "-o", "pipefail", "-c", s.cmd)
		cmd.Dir, cmd.Env = dir, env
		out, _ := cmd.CombinedOutput() // the transcript shows the output, whatever the exit code
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("README.md line %d: `%s` prints something else; update the README (-README +actual):\n%s", b.line, s.cmd, diff)
		}
	}
}

// checkMakeTargets: every `make <target>` the README's prose names exists.
func checkMakeTargets(t *testing.T, text, dir string, env []string) {
	help := must(t, runIn(dir, env, "make", "help"), "make help").stdout
	for _, m := range regexp.MustCompile("`make ([a-z][a-z0-9 -]*)`").FindAllStringSubmatch(text, -1) {
		for _, target := range strings.Fields(m[1]) {
			if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(target) + `\s`).MatchString(help) {
				t.Errorf("README.md names `make %s`, but make help has no target %q", m[1], target)
			}
		}
	}
}

// freshCopy copies what a clone holds — the tracked and unignored files, as
// they are in the work tree — into a temp dir.
func freshCopy(t *testing.T, root string) string {
	t.Helper()
	list := must(t, runIn(root, os.Environ(), "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"), "git ls-files").stdout
	dst := filepath.Join(t.TempDir(), "meshauth")
	for _, rel := range strings.Split(strings.TrimSuffix(list, "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		info, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not committed yet
		}
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if info.Mode()&os.ModeSymlink != 0 {
			link, err := os.Readlink(src)
			if err == nil {
				err = os.Symlink(link, target)
			}
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(target, b, info.Mode().Perm())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// readmeEnv is a user's shell: the machine's PATH without ./bin, no KPT_
// settings, and a private TMPDIR.
func readmeEnv(t *testing.T) []string {
	bin := filepath.Join(repoRoot(t), "bin")
	var env []string
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "PATH="):
			var keep []string
			for _, p := range filepath.SplitList(strings.TrimPrefix(kv, "PATH=")) {
				if p != bin {
					keep = append(keep, p)
				}
			}
			env = append(env, "PATH="+strings.Join(keep, string(os.PathListSeparator)))
		case strings.HasPrefix(kv, "KPT_"), strings.HasPrefix(kv, "TMPDIR="), strings.HasPrefix(kv, "MAKEFLAGS="), strings.HasPrefix(kv, "MFLAGS="):
		default:
			env = append(env, kv)
		}
	}
	return append(env, "TMPDIR="+t.TempDir())
}

func runIn(dir string, env []string, name string, args ...string) result {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return result{out.String(), errb.String(), err}
}

// kinds summarises printed objects by kind and name, never their content:
// the overlays' (fake) secrets stay out of the test log.
func kinds(out string) string {
	var objs []string
	kind := ""
	for _, l := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(l, "kind: "); ok {
			kind = k
		}
		if n, ok := strings.CutPrefix(l, "  name: "); ok && kind != "" {
			objs = append(objs, kind+"/"+n)
			kind = ""
		}
	}
	if len(objs) == 0 {
		return fmt.Sprintf("no objects (%d bytes)", len(out))
	}
	return fmt.Sprintf("%d objects: %s", len(objs), strings.Join(objs, ", "))
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "\n[...]"
	}
	return s
}
