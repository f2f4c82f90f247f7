package importer

import (
	"fmt"
	"io"
	"strings"
)

// Item is one line of the report: a setting (or an object's field), what
// the install had, what the AuthConfig renders, and why.
type Item struct {
	Setting string `json:"setting,omitempty"`
	Was     string `json:"was,omitempty"`
	Becomes string `json:"becomes,omitempty"`
	Object  string `json:"object,omitempty"`
	Field   string `json:"field,omitempty"`
	Why     string `json:"why,omitempty"`
}

// Report is what import says next to the AuthConfig, in three parts. A
// Secret's value never appears in it: secrets are named by their refs.
type Report struct {
	// Carried are the install's settings the AuthConfig reproduces.
	Carried []Item `json:"carried"`
	// Changed are settings whose rendered value differs, each with why.
	Changed []Item `json:"changed"`
	// Inexpressible are settings and objects no AuthConfig field can say,
	// each with its object and field.
	Inexpressible []Item `json:"inexpressible"`
	// Missing is what the install does not hold that the AuthConfig (or
	// its render) needs; the AuthConfig uses meshauth's defaults there.
	Missing []Item `json:"missing"`
	// Notes are facts about the import: the Secret refs named, guesses.
	Notes []Item `json:"notes"`
}

// Write prints the report as Markdown.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# authconfig-fn import report\n\n")
	section := func(title, empty string, items []Item, line func(Item) string) {
		fmt.Fprintf(&b, "## %s\n\n", title)
		if len(items) == 0 {
			fmt.Fprintf(&b, "%s\n\n", empty)
			return
		}
		for _, it := range items {
			fmt.Fprintf(&b, "- %s\n", line(it))
		}
		b.WriteString("\n")
	}
	section("1. Carried over", "Nothing.", r.Carried, func(it Item) string {
		return fmt.Sprintf("%s = %s%s", it.Setting, orNone(it.Was), at(it))
	})
	section("2. What the AuthConfig will change, and why", "Nothing.", r.Changed, func(it Item) string {
		return fmt.Sprintf("%s: %s → %s%s. %s", it.Setting, orNone(it.Was), orNone(it.Becomes), at(it), it.Why)
	})
	b.WriteString("## 3. What cannot be expressed\n\n")
	if len(r.Inexpressible)+len(r.Missing) == 0 {
		b.WriteString("Nothing.\n\n")
	}
	for _, it := range r.Inexpressible {
		subject := it.Object + ": " + it.Field
		if it.Setting != "" {
			subject = it.Setting + " = " + orNone(it.Was) + at(it)
		}
		fmt.Fprintf(&b, "- %s: %s\n", strings.TrimSuffix(subject, ": "), it.Why)
	}
	for _, it := range r.Missing {
		fmt.Fprintf(&b, "- missing from the install: %s\n", it.Why)
	}
	if len(r.Inexpressible)+len(r.Missing) > 0 {
		b.WriteString("\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("## Notes\n\n")
		for _, it := range r.Notes {
			subject := it.Object
			if it.Field != "" {
				subject += " " + it.Field
			}
			fmt.Fprintf(&b, "- %s: %s\n", strings.TrimSpace(subject), it.Why)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

func at(it Item) string {
	if it.Object == "" {
		return ""
	}
	if it.Field == "" {
		return " (" + it.Object + ")"
	}
	return " (" + it.Object + " " + it.Field + ")"
}
