package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"publicURL", "publicPaths", "secure", "cookie_secure", "sameSite"}
	for name, sc := range map[string]struct{ in, want string }{
		"case only":         {"publicUrl", "publicURL"},
		"transposition":     {"secrue", "secure"},
		"snake vs camel":    {"same_site", "sameSite"},
		"nothing close":     {"zzzzzzzz", ""},
		"short stays short": {"x", ""},
	} {
		if got := Closest(sc.in, known); got != sc.want {
			t.Errorf("%s: Closest(%q) = %q, want %q", name, sc.in, got, sc.want)
		}
	}
	if Distance("kitten", "sitting") != 3 {
		t.Error("Distance(kitten, sitting) != 3")
	}
}
