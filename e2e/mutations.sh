#!/usr/bin/env bash
# Mutation check of the e2e flows: break one generated value at a time in the
# rendered components (E2E_MUTATE, applied by the harness right after
# `authconfig-fn render`) and show which flow fails. A mutation no flow
# notices is reported as SURVIVED and makes the script exit 1.
#
#   e2e/mutations.sh            # needs make build upstream; ~1 s per mutation
#   E2E_AUTHCONFIG_FN=/path/to/authconfig-fn e2e/mutations.sh
#   e2e/mutations.sh browser    # the browser flows' list (needs make chromium); ~40 s per mutation
#   E2E_MUTATIONS_TEST=^TestRedis e2e/mutations.sh   # only the mutations of the tests this matches
set -uo pipefail
cd "$(dirname "$0")/.."

# test (a go test -run pattern) | name | regexp (Go syntax, matched in every rendered file) | replacement
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
  'TestOAuth2ProxyAuthorizer|public-path classifier misses /dex/ (EnvoyFilter)|(?m)^(\s+regex: )/dex/|${1}/nothing/'
  'TestOAuth2ProxyAuthorizer|public prefix as a notPath of both policies (issue 22)|notPaths:\n\s+- /oauth2/\*|notPaths: [/oauth2/*, /static/*]'
  'TestOAuth2ProxyAuthorizer|public-path classifier widened to the prefixes (EnvoyFilter)|(?m)^(\s+regex: )/dex/\(.*$|${1}/(?:dex|static)/.*'
  'TestOAuth2ProxyAuthorizer|logout redirect without the public host (VirtualService patch)|(?m)^\s+authority: .*\n|'
  'TestOAuth2ProxyAuthorizer|X-Original-URL not removed (EnvoyFilter)|x\[-_\]original\[-_\]url|x-no-such-url'
  'TestOAuth2ProxyAuthorizer|email_verified DENY rule on another header (AuthorizationPolicy)|request.headers\[x-meshauth-email-verified\]|request.headers[x-no-such-header]'
  'TestGatewayAPI|logout redirect target (HTTPRoute RequestRedirect)|replaceFullPath: /oauth2/sign_out|replaceFullPath: /oauth2/signout'
  'TestGatewayAPI|logout redirect code (HTTPRoute RequestRedirect)|statusCode: 302|statusCode: 301'
  'TestGatewayAPI|public-path classifier widened to the prefixes (EnvoyFilter on the Gateway)|(?m)^(\s+regex: )/dex/\(.*$|${1}/(?:dex|static)/.*'
  'TestGatewayAPI|/oauth2/ route (HTTPRoute)|value: /oauth2/|value: /oauth2x/'
  'TestGatewayAPI|policies attached to another Gateway (targetRefs)|(?m)^(  targetRefs:\n  - group: gateway.networking.k8s.io\n    kind: Gateway\n    name: )kubeflow-gateway$|${1}other-gateway'
  'TestCheckServerAuthorizer|cookie name (check-server config)|cookieName: e2e_session|cookieName: e2e_sesion'
  'TestCheckServerAuthorizer|login audience = client id (check-server config)|(?m)^(\s+)- e2e-oauth2-proxy$|${1}- e2e-oauth2-proxy-typo'
  'TestCheckServerAuthorizer|user header (check-server config)|(?m)^(\s+)userHeader: kubeflow-userid$|${1}userHeader: kubeflow-user'
  'TestCheckServerAuthorizer|headersToUpstreamOnAllow without the user header (mesh)|- kubeflow-userid(\n\s+- kubeflow-groups)|- kubeflow-user${1}'
  'TestCheckServerAuthorizer|oauth2-proxy user header read (check-server config)|userHeader: X-Auth-Request-Email|userHeader: X-Auth-Request-Mail'
  'TestCheckServerAuthorizer|identity-header removal (EnvoyFilter)|(?m)^(\s+regex: ).*$|${1}x-no-such-header'
  'TestCheckServerAuthorizer|ext_authz provider port (mesh)|port: 8080(\n\s+service: check-server)|port: 8081${1}'
  'TestCheckServerAuthorizer|logout redirect without the public host (VirtualService patch)|(?m)^\s+authority: .*\n|'
  'TestCheckServerAuthorizer|requireVerifiedEmail off (check-server config)|requireVerifiedEmail: true|requireVerifiedEmail: false'
  'TestHydraProvider|prompt for a corporate IdP (oauth2_proxy.cfg)|prompt = ""|prompt = "none"'
  'TestHydraProvider|unverified-email switch (oauth2_proxy.cfg)|insecure_oidc_allow_unverified_email = true|insecure_oidc_allow_unverified_email = false'
  'TestHydraProvider|refreshed cookie back to the browser (mesh)|headersToDownstreamOnAllow:(\s*)- set-cookie|headersToDownstreamOnAllow:${1}- x-dropped'
  'TestHydraProvider|cookie refresh against 5s ID tokens (oauth2_proxy.cfg)|cookie_refresh = "2.5s"|cookie_refresh = "59m"'
  'TestHydraProvider|login audience pinned (RequestAuthentication)|audiences:(\s*)- e2e-oauth2-proxy|audiences:${1}- e2e-oauth2-proxy${1}- e2e-other-app'
  'TestHydraProvider|end-session redirect allowed (oauth2_proxy.cfg)|whitelist_domains = \["([^"]*)", "[^"]*"\]|whitelist_domains = ["${1}"]'
  'TestHydraCheckServer|bearer user claim (check-server config)|userClaim: preferred_username|userClaim: email'
  'TestRedisClusterSessions|cluster client off: standalone to the seed (oauth2_proxy.cfg)|redis_use_cluster = true\n(\s*)redis_cluster_connection_urls = \[("[^"]*")\]|redis_connection_url = ${2}'
  'TestRedisClusterSessions|redis_use_cluster off (oauth2_proxy.cfg)|redis_use_cluster = true|redis_use_cluster = false'
  'TestRedisTLSSessions|Redis CA path dropped (oauth2_proxy.cfg)|(?m)^\s*redis_ca_path = .*\n|'
  'TestRedisTLSSessions|Redis CA mount path (Deployment)|mountPath: /etc/oauth2-proxy-redis-ca|mountPath: /etc/oauth2-proxy-redis'
  'TestRedisSentinelTLSSessions|Redis CA path dropped, sentinel (oauth2_proxy.cfg)|(?m)^\s*redis_ca_path = .*\n|'
  'TestRedisClusterTLSSessions|Redis CA path dropped, cluster (oauth2_proxy.cfg)|(?m)^\s*redis_ca_path = .*\n|'
  'TestRedisPasswordSessions|Redis password env misnamed (Deployment)|name: OAUTH2_PROXY_REDIS_PASSWORD|name: OAUTH2_PROXY_REDIS_PASSWD'
  'TestRedisPasswordSessions|Redis password in the ConfigMap too (oauth2_proxy.cfg)|(?m)^([ \t]*)(session_store_type = "redis")(\n)|${1}${2}${3}${1}redis_password = "in-the-configmap"${3}'
  'TestRedisSentinelPasswordSessions|sentinel password env misnamed (Deployment)|name: OAUTH2_PROXY_REDIS_SENTINEL_PASSWORD|name: OAUTH2_PROXY_REDIS_SENTINEL_PASSWD'
  'TestRedisSentinelPasswordSessions|sentinel given the master password (Deployment)|key: sentinel-password|key: password'
  'TestRedisClusterPasswordSessions|Redis password env misnamed, cluster (Deployment)|name: OAUTH2_PROXY_REDIS_PASSWORD|name: OAUTH2_PROXY_REDIS_PASSWD'
  'TestAccessRules/oauth2-proxy|group rule admits another group (access DENY policy)|(?m)^(\s+)- team-b$|${1}- e2e-team'
  'TestAccessRules/oauth2-proxy|groups read from another claim (access DENY policy)|request\.auth\.claims\[groups\]|request.auth.claims[roles]'
  'TestAccessRules/oauth2-proxy|machines rules take any issuer (access DENY policy)|(?m)^(\s+- )http://127\.0\.0\.1:\d+/\*$|${1}"*"'
  'TestAccessRules/oauth2-proxy|rule classifiers case-sensitive (access EnvoyFilter)|regex: \(\?is\)|regex: (?s)'
  'TestAccessRules/oauth2-proxy|CUSTOM check on the machine-only host (AuthorizationPolicy)|(?m)^\s+- key: experimental\.envoy\.filters\.http\.rbac\[meshauth_machine_host_shadow_effective_policy_id\]\n\s+notValues:\n\s+- meshauth-machine-host\n|'
  'TestAccessRules/oauth2-proxy|public rule classifier widened (public-path EnvoyFilter)|(?m)^(\s+regex: )/kserve/\(.*$|${1}/kserve/.*'
  'TestAccessRules/oauth2-proxy|group rule compiled to a header match instead of the verified claim (access DENY policy)|request\.auth\.claims\[groups\]|request.headers[kubeflow-groups]'
  'TestAccessRules/oauth2-proxy|rule classifiers miss double decoding (access EnvoyFilter)|%\(\?:25\)\*|%'
  'TestAccessRules/oauth2-proxy|public rule opens its siblings (public-path EnvoyFilter)|(?m)^(\s+regex: )/kserve/|${1}/kserve'
  'TestAccessHydra|group rule on another group (Hydra; DENY policy or check-server config)|(?m)^(\s+)- ml-team$|${1}- ml-team-typo'
  'TestAccessHydra|claim rule on another client (Hydra; DENY policy or check-server config)|(?m)^(\s+)- e2e-batch$|${1}- e2e-batch-typo'
  'TestAccessRootRule/oauth2-proxy|access DENY covers the sign-in and callback (access DENY policy)|(notPaths:\n\s+- )/oauth2/\*(\n\s+when:\n\s+- key: experimental\.envoy\.filters\.http\.rbac\[meshauth_rule_)|${1}/oauth2-nothing/*${2}'
  'TestAccessRules/check-server|group rule admits another group (check-server config)|(?m)^(\s+)- team-b$|${1}- e2e-team'
  'TestAccessRules/check-server|groups read from another claim (check-server config)|groupsClaim: groups|groupsClaim: roles'
  'TestAccessRules/check-server|no machine-only host (check-server config)|(?m)^\s+machineHosts:\n\s+- ml-api\.e2e\.test\n|'
)

# The browser flows (TestBrowser, docs/e2e.md): each mutation runs the login
# flow and the flow expected to catch it (a "," in the test column is a "|").
browser=(
  'TestBrowser$/^(login_deep_link_and_reload,secure_cookie_not_sent_over_http)|cookie Secure off|cookie_secure = true|cookie_secure = false'
  'TestBrowser$/^(login_deep_link_and_reload,cross_site_link_keeps_session)|SameSite strict|cookie_samesite = "lax"|cookie_samesite = "strict"'
  'TestBrowser$/^(login_deep_link_and_reload,cross_site_post_without_session)|SameSite none|cookie_samesite = "lax"|cookie_samesite = "none"'
  'TestBrowser$/^(login_deep_link_and_reload,logout_link_then_password_again)|cookie domain of another site|cookie_domains = \["kubeflow\.meshauth-e2e\.test"\]|cookie_domains = [".elsewhere.example"]'
  'TestBrowser$/^(login_deep_link_and_reload,many_groups_split_cookies)|cookie domain widened to the parent|cookie_domains = \["kubeflow\.meshauth-e2e\.test"\]|cookie_domains = ["meshauth-e2e.test"]'
  'TestBrowser$/^(logout_link_then_password_again,back_after_logout_hides_the_app)|logout redirect target (VirtualService)|uri: /oauth2/sign_out|uri: /oauth2/signout'
  'TestBrowser$/^(logout_link_then_password_again,back_after_logout_hides_the_app)|logout route path (VirtualService)|exact: /logout|exact: /logged-out'
  'TestBrowser$/^(login_deep_link_and_reload,expired_id_token_refreshed)|refreshed cookie not passed on allow (mesh)|(?m)^[ \t]*headersToDownstreamOnAllow:\n[ \t]+- set-cookie\n|'
)
if [[ "${1:-}" == browser ]]; then
  mutations=("${browser[@]}")
fi
if [[ -n "${E2E_MUTATIONS_TEST:-}" ]]; then # only the mutations whose test matches this (grep -E) regexp
  picked=()
  for m in "${mutations[@]}"; do
    if grep -qE -- "$E2E_MUTATIONS_TEST" <<<"${m%%|*}"; then picked+=("$m"); fi
  done
  mutations=("${picked[@]}")
fi

survived=0
for m in "${mutations[@]}"; do
  IFS='|' read -r test name re repl <<<"$m"
  test=${test//,/|}
  top=${test%%\$*}
  began=$SECONDS
  out=$(E2E_MUTATE="$re=>$repl" go test -count=1 -v -run "^$test\$" ./e2e/ 2>&1)
  took="$((SECONDS - began))s"
  if grep -q "matched nothing" <<<"$out"; then
    printf '%-60s NOT APPLIED (regexp matched nothing)\n' "$name"; survived=1; continue
  fi
  if grep -q "browser e2e skipped" <<<"$out"; then
    printf '%-60s SKIPPED (no Chromium: make chromium)\n' "$name"; survived=1; continue
  fi
  failed=$(grep -oE -- "--- FAIL: $top/[0-9a-z_]+" <<<"$out" | sed 's/.*\///' | sort -u | tr '\n' ' ')
  if [[ -n "$failed" ]]; then
    printf '%-60s %4s caught by: %s\n' "$name" "$took" "$failed"
    if [[ "$top" == TestBrowser ]]; then # the first complaint of each browser flow that failed
      for f in $failed; do
        why=$(sed -n "/^=== RUN   $top\/$f\$/,/^=== RUN/p" <<<"$out" | grep -m1 -E '^    browser_[a-z]*_?test.go:[0-9]+: ' | sed 's/^ *//' | cut -c1-160)
        printf '    %s: %s\n' "$f" "$why"
      done
    fi
  elif grep -q -- "--- FAIL: $top " <<<"$out"; then
    why=$(grep -v E2E_MUTATE <<<"$out" | grep -m1 -E '^    [a-z_]+_test.go:[0-9]+: ' | sed 's/^ *//' | cut -c1-110)
    printf '%-60s %4s caught at boot (flow 1): %s\n' "$name" "$took" "$why"
  else
    printf '%-60s %4s SURVIVED\n' "$name" "$took"; survived=1
  fi
done
exit $survived
