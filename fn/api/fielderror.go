package api

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem with an AuthConfig: the field path, what is
// wrong, and how to fix it.
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// FieldErrors is every problem found at once.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es *FieldErrors) add(path, format string, args ...any) {
	*es = append(*es, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// sorted orders errors by path so output is deterministic whatever the
// order checks ran in; messages break ties.
func (es FieldErrors) sorted() FieldErrors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Path != es[j].Path {
			return es[i].Path < es[j].Path
		}
		return es[i].Message < es[j].Message
	})
	return es
}

func idx(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
