package gateway

import "fmt"

// compileEach compiles every element of a repeated field, each named by its
// index, keeping every error.
func compileEach[E, M any](where string, list []E, compile func(string, E) (M, []error)) ([]M, []error) {
	var out []M
	var errs []error
	for i, e := range list {
		m, err := compile(fmt.Sprintf("%s[%d]", where, i), e)
		out, errs = append(out, m), append(errs, err...)
	}
	return out, errs
}

// one adapts a compile function with a single error to compileEach.
func one[E, M any](compile func(string, E) (M, error)) func(string, E) (M, []error) {
	return func(where string, e E) (M, []error) {
		m, err := compile(where, e)
		if err != nil {
			return m, []error{err}
		}
		return m, nil
	}
}

// anyOf is true when one of the predicates is (a nil one never is).
func anyOf[T any](ms []func(T) bool) func(T) bool {
	return func(x T) bool {
		for _, m := range ms {
			if m != nil && m(x) {
				return true
			}
		}
		return false
	}
}

// allOf is true when every predicate is (a nil one never is).
func allOf[T any](ms []func(T) bool) func(T) bool {
	return func(x T) bool {
		for _, m := range ms {
			if m == nil || !m(x) {
				return false
			}
		}
		return true
	}
}

// firstErr returns the first error of a list, or nil.
func firstErr(errs []error) error {
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
