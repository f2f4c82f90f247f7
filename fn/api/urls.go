package api

import "net/url"

// URLs are the AuthConfig's URLs that the generators take apart (a host, a
// path), as Load parsed and validated them, so that nothing downstream
// parses a URL again or has a parse error to drop.
type URLs struct {
	Public     *url.URL // spec.publicURL
	DexIssuer  *url.URL // spec.dex.issuerURL; nil without Dex
	EndSession *url.URL // spec.logout.endSessionURL; nil when unset
}

// URLs is what Load or LoadValue parsed; the zero URLs for a Spec that came
// from neither (Decode or Defaulted alone).
func (s Spec) URLs() URLs { return s.urls }
