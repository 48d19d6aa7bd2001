#!/bin/sh
# 00-ping.t -- /ping and /health through lighttpd over HTTP and HTTPS,
# negotiation, methods, and the JSON 404 every family gives a path it does
# not know.
. tests/smoke/lib.sh
server_start

req GET /ping
is "GET /ping: 200" "$STATUS" 200
is "... exactly application/json" "$(header Content-Type)" application/json
version=$(json .version)
ok "... a version" nonempty "$version"
ok "... a request id" [ -n "$(header X-Request-Id)" ]

# /health, for load balancers: a node without replication is its own
# master; no token needed
req GET /health
is "GET /health: 200" "$STATUS" 200
is "... role master" "$(json .role)" master
is "... not replicated" "$(json .replicated)" false

req GET /ping/
is "GET /ping/ (trailing slash): 200" "$STATUS" 200

req GET /ping -H 'Accept: application/json'
is "Accept: application/json: 200" "$STATUS" 200
req GET /ping -H 'Accept: application/*;q=0.5, text/html'
is "Accept: application/*: 200" "$STATUS" 200
req GET /ping -H 'Accept: text/html'
ok "Accept: text/html: 406 UnsupportedRequestedContentType" \
    error_is 406 UnsupportedRequestedContentType
req GET /ping -H 'Accept: application/json;q=0'
ok "Accept: application/json;q=0: 406" error_is 406 UnsupportedRequestedContentType

reqb POST /ping ''
ok "POST /ping: 405 MethodNotAllowed" error_is 405 MethodNotAllowed
is "... Allow lists GET" "$(header Allow)" "GET, HEAD, OPTIONS"
req OPTIONS /ping
is "OPTIONS /ping: 200" "$STATUS" 200
is "... with Allow" "$(header Allow)" "GET, HEAD, OPTIONS"
req HEAD /ping -I
is "HEAD /ping: 200" "$STATUS" 200

# HTTPS, with and without a client certificate
STATUS=$(curl -sS --unix-socket "$GRIDREST_HTTPS" --cacert "$GRIDREST_HOME/tls/ca.pem" \
    -o "$T/body" -w '%{http_code}' https://localhost/ping)
is "HTTPS GET /ping without a client certificate: 200" "$STATUS" 200
is "... the same version" "$(json .version)" "$version"

# every family answers paths it does not know with a JSON 404
for p in /dids/x/y/z/w /replicas/X /jobs/1/x/y /filecatalogue/x /task/1/x/y /script/a/b /nowhere /; do
	req GET "$p" -H "X-Rucio-Auth-Token: x"
	ok "GET $p: JSON 404 NotFound" error_is 404 NotFound
done
