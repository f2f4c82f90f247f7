package checkserver

import (
	"errors"
	"testing"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

func TestMapIdentity(t *testing.T) {
	type scenario struct {
		cfg     config.Identity
		id      authn.Identity
		want    mapped
		wantErr error
	}
	tests := map[string]scenario{
		"plain": {id: authn.Identity{User: "alice@example.com", Groups: []string{"a", "b"}},
			want: mapped{user: "alice@example.com", groups: "a,b"}},
		// base64 of ["a","b"], what Envoy's jwt_authn writes for the claim.
		"groups as Envoy writes them": {cfg: config.Identity{GroupsFormat: config.GroupsJSONBase64}, id: authn.Identity{User: "alice", Groups: []string{"a", "b"}},
			want: mapped{user: "alice", groups: "WyJhIiwiYiJd"}},
		"prefix": {cfg: config.Identity{UserPrefix: "oidc:"}, id: authn.Identity{User: "alice"},
			want: mapped{user: "oidc:alice"}},
		"first matching transformer wins, then prefix": {
			cfg: config.Identity{UserPrefix: "p:", UserTransformers: []config.Transformer{
				{Match: "^nomatch$", Replace: "x"},
				{Match: "^system:serviceaccount:([^:]+):(.+)$", Replace: "$2@$1.sa"},
				{Match: ".*", Replace: "never"},
			}},
			id:   authn.Identity{User: "system:serviceaccount:kubeflow:runner"},
			want: mapped{user: "p:runner@kubeflow.sa"},
		},
		"transformer to empty is invalid": {cfg: config.Identity{UserTransformers: []config.Transformer{{Match: ".*", Replace: ""}}},
			id: authn.Identity{User: "alice"}, wantErr: authn.ErrInvalid},
		"newline in user":           {id: authn.Identity{User: "alice\r\nkubeflow-userid: admin"}, wantErr: authn.ErrInvalid},
		"padded user":               {id: authn.Identity{User: " alice"}, wantErr: authn.ErrInvalid},
		"comma in group":            {id: authn.Identity{User: "a", Groups: []string{"x,admins"}}, wantErr: authn.ErrInvalid},
		"empty group":               {id: authn.Identity{User: "a", Groups: []string{""}}, wantErr: authn.ErrInvalid},
		"allowed group":             {cfg: config.Identity{AllowedGroups: []string{"dev"}}, id: authn.Identity{User: "a", Groups: []string{"x", "dev"}}, want: mapped{user: "a", groups: "x,dev"}},
		"outside allowed groups":    {cfg: config.Identity{AllowedGroups: []string{"dev"}}, id: authn.Identity{User: "a", Groups: []string{"x"}}, want: mapped{user: "a"}, wantErr: authn.ErrForbidden},
		"no groups with allow-list": {cfg: config.Identity{AllowedGroups: []string{"dev"}}, id: authn.Identity{User: "a"}, want: mapped{user: "a"}, wantErr: authn.ErrForbidden},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := newIdentityMapper(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.mapIdentity(tc.id)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
