#!/usr/bin/env bash
# Mutation check of the e2e flows: break one generated value at a time in the
# rendered components (E2E_MUTATE, applied by the harness right after
# `authconfig-fn render`) and show which flow fails. A mutation no flow
# notices is reported as SURVIVED and makes the script exit 1.
#
#   e2e/mutations.sh            # needs make build upstream; ~1 s per mutation
#   E2E_AUTHCONFIG_FN=/path/to/authconfig-fn e2e/mutations.sh
set -uo pipefail
cd "$(dirname "$0")/.."

# test | name | regexp (Go syntax, matched in every rendered file) | replacement
mutations=(
  'TestOAuth2ProxyAuthorizer|client id (oauth2_proxy.cfg)|client_id = "e2e-oauth2-proxy"|client_id = "e2e-oauth2-proxy-typo"'
  'TestOAuth2ProxyAuthorizer|client id (Dex static client)|(?m)- id: e2e-oauth2-proxy$|- id: e2e-oauth2-proxy-typo'
  'TestOAuth2ProxyAuthorizer|redirect URL (oauth2_proxy.cfg)|(redirect_url = "[^"]*)/oauth2/callback"|${1}/oauth2/callbak"'
  'TestOAuth2ProxyAuthorizer|redirect URI (Dex static client)|(?m)^(\s+- http://127\.0\.0\.1:\d+)/oauth2/callback$|${1}/oauth2/callbak'
  'TestOAuth2ProxyAuthorizer|cookie name (oauth2_proxy.cfg)|cookie_name = "e2e_session"|cookie_name = "e2e_sesion"'
  'TestOAuth2ProxyAuthorizer|user header (RequestAuthentication)|header: kubeflow-userid|header: kubeflow-user-id'
  'TestOAuth2ProxyAuthorizer|groups header (RequestAuthentication)|header: kubeflow-groups|header: kubeflow-group'
  'TestOAuth2ProxyAuthorizer|headersToUpstreamOnAllow without authorization (mesh)|(headersToUpstreamOnAllow:\n\s+)- authorization|${1}- x-auth-request-user'
  'TestOAuth2ProxyAuthorizer|identity-header removal (EnvoyFilter)|(?m)^(\s+regex: ).*$|${1}x-no-such-header'
  'TestOAuth2ProxyAuthorizer|ext_authz provider port (mesh)|port: 80(\n\s+service: oauth2-proxy)|port: 8080${1}'
  'TestOAuth2ProxyAuthorizer|issuer (oauth2_proxy.cfg)|oidc_issuer_url = "http://127\.0\.0\.1:(\d+)/dex"|oidc_issuer_url = "http://localhost:${1}/dex"'
  'TestOAuth2ProxyAuthorizer|issuer (Dex RequestAuthentication)|(?m)^    issuer: http://127\.0\.0\.1:(\d+)/dex$|    issuer: http://localhost:${1}/dex'
  'TestOAuth2ProxyAuthorizer|machine issuer audience (RequestAuthentication)|- e2e-machines|- e2e-machine'
  'TestOAuth2ProxyAuthorizer|logout redirect (dashboard VirtualService patch)|uri: /oauth2/sign_out|uri: /oauth2/signout'
  'TestOAuth2ProxyAuthorizer|CUSTOM policy skips /oauth2/ only (not /dex/)|(?m)^(\s+)- /dex/\*$|${1}- /nothing/*'
  'TestCheckServerAuthorizer|cookie name (check-server config)|cookieName: e2e_session|cookieName: e2e_sesion'
  'TestCheckServerAuthorizer|login audience = client id (check-server config)|(?m)^(\s+)- e2e-oauth2-proxy$|${1}- e2e-oauth2-proxy-typo'
  'TestCheckServerAuthorizer|user header (check-server config)|(?m)^(\s+)userHeader: kubeflow-userid$|${1}userHeader: kubeflow-user'
  'TestCheckServerAuthorizer|headersToUpstreamOnAllow without the user header (mesh)|- kubeflow-userid(\n\s+- kubeflow-groups)|- kubeflow-user${1}'
  'TestCheckServerAuthorizer|oauth2-proxy user header read (check-server config)|userHeader: X-Auth-Request-Email|userHeader: X-Auth-Request-Mail'
  'TestCheckServerAuthorizer|identity-header removal (EnvoyFilter)|(?m)^(\s+regex: ).*$|${1}x-no-such-header'
  'TestCheckServerAuthorizer|ext_authz provider port (mesh)|port: 8080(\n\s+service: check-server)|port: 8081${1}'
)

survived=0
for m in "${mutations[@]}"; do
  IFS='|' read -r test name re repl <<<"$m"
  out=$(E2E_MUTATE="$re=>$repl" go test -count=1 -v -run "^$test\$" ./e2e/ 2>&1)
  if grep -q "matched nothing" <<<"$out"; then
    printf '%-60s NOT APPLIED (regexp matched nothing)\n' "$name"; survived=1; continue
  fi
  failed=$(grep -oE -- "--- FAIL: $test/[0-9]_[a-z_]+" <<<"$out" | sed 's/.*\///' | sort -u | tr '\n' ' ')
  if [[ -n "$failed" ]]; then
    printf '%-60s caught by: %s\n' "$name" "$failed"
  elif grep -q -- "--- FAIL: $test " <<<"$out"; then
    why=$(grep -v E2E_MUTATE <<<"$out" | grep -m1 -E '^    [a-z_]+_test.go:[0-9]+: ' | sed 's/^ *//' | cut -c1-110)
    printf '%-60s caught at boot (flow 1): %s\n' "$name" "$why"
  else
    printf '%-60s SURVIVED\n' "$name"; survived=1
  fi
done
exit $survived
