package outputcheck

import (
	"encoding/json"
	"strings"

	"github.com/BurntSushi/toml"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	sigsyaml "sigs.k8s.io/yaml"
)

// The parsers below are the ones the checks use, exported for readers of
// existing installs (fn/importer): one parser per input, so what import
// reads is exactly what the output checks accept. Problems carry the field
// inside the parsed text; Object is left empty for the caller to fill.

// OptionKind is the kind of value an oauth2-proxy option takes.
type OptionKind string

const (
	OptionString   OptionKind = "string"
	OptionBool     OptionKind = "bool"
	OptionInt      OptionKind = "int"
	OptionList     OptionKind = "list"
	OptionDuration OptionKind = "duration"
)

// OAuth2ProxyOption reports whether name is one of oauth2-proxy v7.15's
// config options, and the kind of value it takes.
func OAuth2ProxyOption(name string) (OptionKind, bool) {
	k, ok := oauth2ProxyOptions[name]
	if !ok {
		return "", false
	}
	return [...]OptionKind{optString: OptionString, optBool: OptionBool, optInt: OptionInt, optList: OptionList, optDuration: OptionDuration}[k], true
}

// OAuth2ProxyConfig parses an oauth2_proxy.cfg (TOML) and checks it as the
// ConfigMap check does. The map holds what TOML decoded (string, bool,
// int64, []any); a nil map means the text is not TOML at all.
func OAuth2ProxyConfig(text string) (map[string]any, []Problem) {
	var cfg map[string]any
	if _, err := toml.Decode(text, &cfg); err != nil {
		return nil, []Problem{{Message: "invalid TOML: " + err.Error()}}
	}
	var ps []Problem
	add := func(key, msg string) { ps = append(ps, Problem{Field: key, Message: msg}) }
	strs, durations := oauth2ProxyTypes(cfg, add)
	oauth2ProxyValues(cfg, strs, durations, add)
	return cfg, sortProblems(ps)
}

// DexStaticClient is a static client of a Dex config. HasSecret says the
// client's secret is written in the config itself; its value is never kept.
type DexStaticClient struct {
	ID, IDEnv, Name, SecretEnv string
	HasSecret, Public          bool
	RedirectURIs               []string
}

// DexSettings is what a Dex config decides that meshauth reads or writes.
type DexSettings struct {
	Issuer            string
	StaticClients     []DexStaticClient
	PasswordConnector string
	EnablePasswordDB  bool
	ConnectorIDs      []string
}

// DexConfig parses Dex's config.yaml against the strict Dex schema and runs
// Dex's own start-up rules, as the ConfigMap check does.
func DexConfig(text string) (DexSettings, []Problem) {
	r := &run{}
	o := &object{}
	r.dexConfig(o, "", text)
	var out DexSettings
	data, ok := r.embeddedJSON(o, "", text)
	var c dexConfig
	// Dex reads its config leniently (encoding/json: unknown keys dropped,
	// names matched case-insensitively); so does this where the strict
	// schema complains, and the problems say what Dex would miss.
	if ok && (len(strictDecode(data, &c)) == 0 || json.Unmarshal(data, &c) == nil) {
		out = DexSettings{Issuer: c.Issuer, PasswordConnector: c.OAuth2.PasswordConnector, EnablePasswordDB: c.EnablePasswordDB}
		for _, cl := range c.StaticClients {
			out.StaticClients = append(out.StaticClients, DexStaticClient{
				ID: cl.ID, IDEnv: cl.IDEnv, Name: cl.Name, SecretEnv: cl.SecretEnv,
				HasSecret: cl.Secret != "", Public: cl.Public, RedirectURIs: cl.RedirectURIs,
			})
		}
		for _, cn := range c.Connectors {
			out.ConnectorIDs = append(out.ConnectorIDs, cn.ID)
		}
	}
	return out, sortProblems(r.problems)
}

// MeshConfig parses the mesh key of Istio's mesh ConfigMap (YAML held in a
// string) into MeshConfig, with the checks of the mesh ConfigMap. Where the
// checks find problems the config is still read the way istiod reads it
// (unknown fields dropped, deprecated ones honoured); it is nil only when
// istiod could not read it either.
func MeshConfig(text string) (*meshv1alpha1.MeshConfig, []Problem) {
	mc := &meshv1alpha1.MeshConfig{}
	r := &run{}
	if r.embeddedProto(&object{}, "", text, mc) {
		return mc, nil
	}
	data, err := sigsyaml.YAMLToJSON([]byte(text))
	if err != nil || lenient.Unmarshal(data, mc) != nil {
		return nil, sortProblems(r.problems)
	}
	return mc, sortProblems(r.problems)
}

// lenient reads like istiod: unknown fields are dropped.
var lenient = protojson.UnmarshalOptions{DiscardUnknown: true}

// IstioSpec decodes an Istio object's spec (as YAML or JSON) into msg with
// the descriptor walk and protojson, as the Istio kinds' check does.
func IstioSpec(spec []byte, msg proto.Message) []Problem {
	data, err := sigsyaml.YAMLToJSON(spec)
	if err != nil {
		return []Problem{{Message: "invalid YAML: " + strings.TrimSpace(err.Error())}}
	}
	var ps []Problem
	for _, e := range checkProto(data, msg) {
		ps = append(ps, Problem{Field: e.Field, Message: e.Message})
	}
	return ps
}

// IstioSpecLenient is IstioSpec for reading what a cluster holds: msg is
// filled the way istiod reads it (unknown fields dropped) even where the
// checks find problems; ok is false only when it cannot be read at all.
func IstioSpecLenient(spec []byte, msg proto.Message) (problems []Problem, ok bool) {
	ps := IstioSpec(spec, msg)
	if len(ps) == 0 {
		return nil, true
	}
	data, err := sigsyaml.YAMLToJSON(spec)
	if err != nil || lenient.Unmarshal(data, msg) != nil {
		return ps, false
	}
	return ps, true
}
