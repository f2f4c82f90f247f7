package runners_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMELayoutTable keeps the README's "## Layout" tables true to the
// tree, so a newcomer can find every folder from them alone:
//   - every top-level folder a clone holds has a row of its own;
//   - every Go package is found: its folder (down to two levels; deeper ones
//     belong to that folder) has a row, or the row of its parent names it;
//   - every path a row names exists.
func TestREADMELayoutTable(t *testing.T) {
	root := repoRoot(t)
	text, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := layoutRows(t, string(text))
	files := strings.Fields(run(t, root, nil, "git", "ls-files").stdout)

	for _, dir := range topFolders(files) {
		if _, ok := rows[dir]; !ok {
			t.Errorf("README layout: top-level folder %s/ has no row of its own", dir)
		}
	}
	for _, dir := range goPackageDirs(files) {
		if !listed(rows, dir) {
			t.Errorf("README layout: Go package %s is in no row (give it one, or name it in its parent's row)", dir)
		}
	}
	for path := range rows {
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			t.Errorf("README layout: a row names %s, which does not exist", path)
		}
	}
}

var (
	layoutRow  = regexp.MustCompile("(?m)^\\| ([^|]*`[^|]*) \\|(.*)\\|$")
	backticked = regexp.MustCompile("`([^`]+)`")
)

// layoutRows maps each path a row's first cell names (without a trailing
// slash) to the rest of its row.
func layoutRows(t *testing.T, readme string) map[string]string {
	t.Helper()
	start := strings.Index(readme, "\n## Layout\n")
	if start < 0 {
		t.Fatal("README.md has no ## Layout section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	rows := map[string]string{}
	for _, m := range layoutRow.FindAllStringSubmatch(section, -1) {
		for _, p := range backticked.FindAllStringSubmatch(m[1], -1) {
			// Paths have a slash; component names (`oauth2-proxy`) do not.
			if strings.Contains(p[1], "/") {
				rows[strings.TrimSuffix(p[1], "/")] += m[2]
			}
		}
	}
	return rows
}

func topFolders(files []string) []string {
	var dirs []string
	for _, f := range files {
		if i := strings.IndexByte(f, '/'); i > 0 && !strings.HasPrefix(f, ".") && !slices.Contains(dirs, f[:i]) {
			dirs = append(dirs, f[:i])
		}
	}
	return dirs
}

// goPackageDirs are the folders holding .go files, cut to two levels.
func goPackageDirs(files []string) []string {
	var dirs []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".go") || !strings.Contains(f, "/") {
			continue
		}
		parts := strings.Split(filepath.Dir(f), "/")
		dir := strings.Join(parts[:min(len(parts), 2)], "/")
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// listed: dir has a row, or the row of its parent names its last element.
func listed(rows map[string]string, dir string) bool {
	if _, ok := rows[dir]; ok {
		return true
	}
	parent, base := filepath.Split(dir)
	return strings.Contains(rows[strings.TrimSuffix(parent, "/")], "`"+base+"`")
}
