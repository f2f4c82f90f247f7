package checkserver

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStripList(t *testing.T) {
	type scenario struct {
		names []string
		want  []string
	}
	tests := map[string]scenario{
		"dash and underscore spellings": {
			names: []string{"Kubeflow-Userid"},
			want:  []string{"kubeflow-userid", "kubeflow_userid"},
		},
		"mixed spellings": {
			names: []string{"x-a-b"},
			want:  []string{"x-a-b", "x-a_b", "x_a-b", "x_a_b"},
		},
		"underscore name gets dash spelling": {
			names: []string{"user_id"},
			want:  []string{"user-id", "user_id"},
		},
		"deduplicated": {names: []string{"a-b", "A_B", ""}, want: []string{"a-b", "a_b"}},
		"many dashes bounded": {
			names: []string{"a-b-c-d-e-f-g"},
			want:  []string{"a-b-c-d-e-f-g", "a_b_c_d_e_f_g"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, stripList(tc.names...)); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestWithout(t *testing.T) {
	got := without([]string{"kubeflow-userid", "kubeflow_userid", "kubeflow-groups"}, "Kubeflow-Userid")
	if d := cmp.Diff([]string{"kubeflow_userid", "kubeflow-groups"}, got); d != "" {
		t.Fatal(d)
	}
}
