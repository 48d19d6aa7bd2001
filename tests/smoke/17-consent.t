#!/bin/sh
# 17-consent.t -- the OAuth2 consent page in a real headless Chromium
# (Debian's chromium, driven by npm's playwright-core; no browser is
# downloaded): log in, grant, follow the redirect, exchange the code, use
# the token; a wrong password and Deny as a person would meet them.
GR_TCP_PORT=auto
. tests/smoke/lib.sh
server_start
B2=$top/tests/browser
if [ ! -d "$B2/node_modules/playwright-core" ]; then
	# npm's cache in the build directory, not in the user's home
	(cd "$B2" && npm_config_cache="$B/npm-cache" npm ci --no-audit \
	    --no-fund >"$T/npm.out" 2>&1)
fi
ok "playwright-core is installed" [ -d "$B2/node_modules/playwright-core" ]
ok "Debian's chromium is installed" [ -x /usr/bin/chromium ]

login
redirect=https://portal.example.org/cb
reqb POST /oauth2/clients "{\"name\": \"portal\", \"redirect_uri\": \"$redirect\"}"
client=$(json .client_id)
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
reqb POST /accounts/jdoe/identities '{"identity": "jdoe", "authtype": "USERPASS", "email": "jdoe@example.org", "password": "pw-jdoe"}'
reqb POST /accounts/jdoe/attr/group.dirac_user '{"value": true}'
is "client, account and group made" "$STATUS" 201
TOKEN=

verifier=$(openssl rand -hex 32)
challenge=$(printf %s "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
url="$BASE/oauth2/auth?response_type=code&client_id=$client&redirect_uri=$redirect&state=s-42&code_challenge=$challenge&code_challenge_method=S256"
browse() {
	node "$B2/consent.mjs" "$url" "$redirect" "$@" 2>"$T/node.err"
}

out=$(browse jdoe wrong dirac_user grant)
is "a wrong password: the page says so" "$out" "error: Wrong username or password."
out=$(browse jdoe pw-jdoe dirac_user deny)
is "Deny: back to the client with access_denied" "$out" "$redirect?error=access_denied&state=s-42"
out=$(browse jdoe pw-jdoe dirac_user grant)
ok "Grant: back to the client with a code and the state" \
    matches "$out" "^$redirect\\?code=[A-Za-z0-9_-]{43}&state=s-42\$"
code=$(printf %s "$out" | sed 's/.*code=\([^&]*\).*/\1/')

req POST /oauth2/token --data-urlencode grant_type=authorization_code \
    --data-urlencode code="$code" --data-urlencode client_id="$client" \
    --data-urlencode redirect_uri="$redirect" --data-urlencode code_verifier="$verifier"
is "the code from the browser redeems: 200" "$STATUS" 200
TOKEN=$(json .access_token)
req GET /accounts/whoami
is "the token works: whoami is jdoe" "$(header Location)" /accounts/jdoe
req GET /oauth2/userinfo
is "... in group dirac_user" "$(json .group)" dirac_user
if [ -s "$T/node.err" ]; then
	sed 's/^/# node: /' "$T/node.err"
fi
