package api

import (
	"reflect"
	"testing"
)

func TestMoveToGatewayAPI(t *testing.T) {
	doc := map[string]any{"spec": map[string]any{
		"publicURL": "https://k.example.com",
		"gateway":   map[string]any{"name": "ingress/edge", "selector": map[string]any{"app": "x"}},
		"logout":    map[string]any{"virtualService": map[string]any{"name": "d"}, "paths": []any{"/logout"}},
	}}
	if err := MoveToGatewayAPI(doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"spec": map[string]any{
		"publicURL": "https://k.example.com",
		"gateway":   map[string]any{"name": "ingress/edge", "api": GatewayAPI},
		"logout":    map[string]any{"paths": []any{"/logout"}},
	}}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("got %v, want %v", doc, want)
	}
	if err := MoveToGatewayAPI(map[string]any{"spec": "x"}); err == nil {
		t.Error("a spec that is not a mapping was moved")
	}
}
