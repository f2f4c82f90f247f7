#!/usr/bin/env bash
# Mutation check of the browser flows (TestBrowser): break one cookie or
# logout setting at a time in the rendered components (E2E_MUTATE, applied by
# the harness right after `authconfig-fn render`) and show which browser flow
# fails. Each mutation runs the flows named in its second column (the one
# expected to catch it, and the login); a mutation none of them notices is
# reported as SURVIVED and makes the script exit 1.
#
#   e2e/browser_mutations.sh     # needs make build upstream chromium; ~20-40 s per mutation
set -uo pipefail
cd "$(dirname "$0")/.."

# name | flows (a -run regexp under TestBrowser) | regexp (Go syntax) | replacement
mutations=(
  'cookie Secure off|login_deep_link_and_reload|secure_cookie_not_sent_over_http|cookie_secure = true|cookie_secure = false'
  'SameSite strict|login_deep_link_and_reload|cross_site_link_keeps_session|cookie_samesite = "lax"|cookie_samesite = "strict"'
  'SameSite none|login_deep_link_and_reload|cross_site_post_without_session|cookie_samesite = "lax"|cookie_samesite = "none"'
  'cookie domain of another site|login_deep_link_and_reload|logout_link_then_password_again|cookie_domains = \["kubeflow\.meshauth-e2e\.test"\]|cookie_domains = [".elsewhere.example"]'
  'cookie domain widened to the parent|login_deep_link_and_reload|many_groups_split_cookies|cookie_domains = \["kubeflow\.meshauth-e2e\.test"\]|cookie_domains = ["meshauth-e2e.test"]'
  'logout redirect target (VirtualService)|logout_link_then_password_again|back_after_logout_hides_the_app|uri: /oauth2/sign_out|uri: /oauth2/signout'
  'logout route path (VirtualService)|logout_link_then_password_again|back_after_logout_hides_the_app|exact: /logout|exact: /logged-out'
  'refreshed cookie not passed on allow (mesh)|expired_id_token_refreshed|login_deep_link_and_reload|(?m)^[ \t]*headersToDownstreamOnAllow:\n[ \t]+- set-cookie\n|'
)

survived=0
for m in "${mutations[@]}"; do
  IFS='|' read -r name f1 f2 re repl <<<"$m"
  out=$(E2E_MUTATE="$re=>$repl" go test -count=1 -v -run "^TestBrowser\$/^($f1|$f2)\$" ./e2e/ 2>&1)
  if grep -q "matched nothing" <<<"$out"; then
    printf '%-45s NOT APPLIED (regexp matched nothing)\n' "$name"; survived=1; continue
  fi
  if grep -q "browser e2e skipped" <<<"$out"; then
    printf '%-45s SKIPPED (no Chromium)\n' "$name"; survived=1; continue
  fi
  failed=$(grep -oE -- "--- FAIL: TestBrowser/[a-z_]+" <<<"$out" | sed 's/.*\///' | sort -u | tr '\n' ' ')
  if [[ -n "$failed" ]]; then
    printf '%-45s caught by: %s\n' "$name" "$failed"
    for f in $failed; do # the first complaint of each flow that failed
      why=$(sed -n "/^=== RUN   TestBrowser\/$f\$/,/^=== RUN/p" <<<"$out" | grep -m1 -E '^    browser_[a-z]*_?test.go:[0-9]+: ' | sed 's/^ *//' | cut -c1-160)
      printf '    %s: %s\n' "$f" "$why"
    done
  elif grep -q -- "--- FAIL: TestBrowser " <<<"$out"; then
    why=$(grep -v E2E_MUTATE <<<"$out" | grep -m1 -E '^    [a-z_]+_test.go:[0-9]+: ' | sed 's/^ *//' | cut -c1-150)
    printf '%-45s caught at boot: %s\n' "$name" "$why"
  else
    printf '%-45s SURVIVED\n' "$name"; survived=1
  fi
done
exit $survived
