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

# name | regexp (Go syntax, matched in every rendered file) | replacement
mutations=(
  'client id (oauth2_proxy.cfg)|client_id = "e2e-oauth2-proxy"|client_id = "e2e-oauth2-proxy-typo"'
  'client id (Dex static client)|(?m)- id: e2e-oauth2-proxy$|- id: e2e-oauth2-proxy-typo'
  'redirect URL (oauth2_proxy.cfg)|(redirect_url = "[^"]*)/oauth2/callback"|${1}/oauth2/callbak"'
  'redirect URI (Dex static client)|(?m)^(\s+- http://127\.0\.0\.1:\d+)/oauth2/callback$|${1}/oauth2/callbak'
  'cookie name (oauth2_proxy.cfg)|cookie_name = "e2e_session"|cookie_name = "e2e_sesion"'
  'user header (RequestAuthentication)|header: kubeflow-userid|header: kubeflow-user-id'
  'groups header (RequestAuthentication)|header: kubeflow-groups|header: kubeflow-group'
  'headersToUpstreamOnAllow without authorization (mesh)|- authorization(\n\s+- x-auth-request-email)|- x-auth-request-user${1}'
  'ext_authz provider port (mesh)|port: 80(\n\s+service: oauth2-proxy)|port: 8080${1}'
  'issuer (oauth2_proxy.cfg)|oidc_issuer_url = "http://127\.0\.0\.1:(\d+)/dex"|oidc_issuer_url = "http://localhost:${1}/dex"'
  'issuer (Dex RequestAuthentication)|(?m)^    issuer: http://127\.0\.0\.1:(\d+)/dex$|    issuer: http://localhost:${1}/dex'
  'machine issuer audience (RequestAuthentication)|- e2e-machines|- e2e-machine'
  'logout redirect (dashboard VirtualService patch)|uri: /oauth2/sign_out|uri: /oauth2/signout'
  'CUSTOM policy skips /oauth2/ only (not /dex/)|(?m)^(\s+)- /dex/\*$|${1}- /nothing/*'
)

survived=0
for m in "${mutations[@]}"; do
  IFS='|' read -r name re repl <<<"$m"
  out=$(E2E_MUTATE="$re=>$repl" go test -count=1 -v -run 'TestOAuth2ProxyAuthorizer' ./e2e/ 2>&1)
  if grep -q "matched nothing" <<<"$out"; then
    printf '%-55s NOT APPLIED (regexp matched nothing)\n' "$name"; survived=1; continue
  fi
  failed=$(grep -oE -- '--- FAIL: TestOAuth2ProxyAuthorizer/[0-9]_[a-z_]+' <<<"$out" | sed 's/.*\///' | sort -u | tr '\n' ' ')
  if [[ -n "$failed" ]]; then
    printf '%-55s caught by: %s\n' "$name" "$failed"
  elif grep -q -- '--- FAIL: TestOAuth2ProxyAuthorizer ' <<<"$out"; then
    why=$(grep -v E2E_MUTATE <<<"$out" | grep -m1 -E '^    [a-z_]+_test.go:[0-9]+: ' | sed 's/^ *//' | cut -c1-110)
    printf '%-55s caught at boot (flow 1): %s\n' "$name" "$why"
  else
    printf '%-55s SURVIVED\n' "$name"; survived=1
  fi
done
exit $survived
