#!/bin/sh
# 20-errors.t -- what a client can send that is wrong gets a clear JSON 4xx
# (ExceptionClass/ExceptionMessage headers and body) and changes nothing.
. tests/smoke/lib.sh
export GRIDREST_DEBUG=1 # client errors are logged too: check the request id
server_start

req GET /accounts/
ok "no token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
is "... error body is application/octet-stream, as Rucio's" \
    "$(header Content-Type)" application/octet-stream
req GET /accounts/ -H 'X-Rucio-Auth-Token: root-root-unknown-0123456789abcdef0123456789abcdef'
ok "unknown token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
req GET /accounts/ -H 'X-Rucio-Auth-Token: '
ok "empty token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate

login
tok=$TOKEN
TOKEN=
req GET /accounts/root -H "Authorization: Bearer $tok"
is "token as Authorization: Bearer: 200" "$STATUS" 200
req GET "/accounts/root?access_token=$tok"
is "token as ?access_token=: 200" "$STATUS" 200
TOKEN=$tok

# paths
req GET /accounts/ro%6Ft
is "percent-escapes are decoded per segment" "$(json .account)" root
req GET /accounts/ro%2
ok "truncated escape: 400 InvalidPath" error_is 400 InvalidPath
req GET /accounts/ro%zzt
ok "bad escape: 400 InvalidPath" error_is 400 InvalidPath
req GET /accounts/ro%00t
ok "%00: 400 InvalidPath" error_is 400 InvalidPath
req GET /accounts/ro%ff%fet
ok "invalid UTF-8: 400 InvalidPath" error_is 400 InvalidPath
req GET /accounts/root%2Fx
ok "%2F stays inside its segment: 404 AccountNotFound" error_is 404 AccountNotFound
long=$(head -c 5000 /dev/zero | tr '\0' a)
req GET "/accounts/$long"
ok "overlong path: 414 RequestURITooLarge" error_is 414 RequestURITooLarge
req GET '/accounts?account=%zz'
ok "bad escape in the query: 400 ValueError" error_is 400 ValueError

# methods
req PATCH /accounts/root
ok "PATCH /accounts/root: 405 MethodNotAllowed" error_is 405 MethodNotAllowed
is "... Allow" "$(header Allow)" "GET, HEAD, POST, PUT, DELETE, OPTIONS"
reqb POST /accounts ''
ok "POST /accounts: 405" error_is 405 MethodNotAllowed
req GET /nowhere/at/all
ok "unknown path: 404 NotFound" error_is 404 NotFound

# bodies
reqb POST /accounts/big "{\"type\": \"USER\", \"email\": \"a@b.c\", \"pad\": \"$(head -c 70000 /dev/zero | tr '\0' a)\"}"
ok "body over GRIDREST_MAX_BODY: 413 RequestEntityTooLarge" \
    error_is 413 RequestEntityTooLarge
req GET /accounts/big
ok "... nothing created" error_is 404 AccountNotFound
reqb POST /accounts/big '{"type": "USER", "email": "a@b.c", "x": "\u0000"}'
ok "NUL inside a JSON string: 400 ValueError" error_is 400 ValueError
printf '{"type": "USER", "email": "\377@b.c"}' >"$T/bad.json"
req POST /accounts/big --data-binary "@$T/bad.json"
ok "invalid UTF-8 in JSON: 400 ValueError" error_is 400 ValueError
reqb POST /accounts/big '{"type": "USER", "email": ["a@b.c"]}'
ok "wrong JSON type: 400 TypeError" error_is 400 TypeError
deep=$(head -c 3000 /dev/zero | tr '\0' '[')
reqb POST /accounts/big "$deep"
ok "nesting 3000 deep: 400 ValueError" error_is 400 ValueError
req GET /accounts/big
ok "... still nothing created" error_is 404 AccountNotFound

# a long message is cut in the header, whole in the body
reqb PUT /accounts/root "{\"$(head -c 300 /dev/zero | tr '\0' k)\": 1}"
ok "long error: 400" error_is 400 ValueError
ok "... header cut to 125 characters and ..." matches "$(header ExceptionMessage)" '^.{125}\.\.\.$'
ok "... body message longer" [ "$(json .ExceptionMessage | wc -c)" -gt 200 ]

# the backends are still serving
req GET /ping
is "still serving: 200" "$STATUS" 200
ok "no backend crashed" sh -c "! grep -Ei 'signal|abort|segfault|died' '$GRIDREST_HOME/log/error.log'"

# the log line of a request carries the id its answer carried
req PUT /ping
rid=$(header X-Request-Id)
ok "error answers carry X-Request-Id" [ -n "$rid" ]
ok "... and the error log has it" \
    grep -q "rid=$rid .*MethodNotAllowed" "$GRIDREST_HOME/log/error.log"

# errors lighttpd answers itself carry the same JSON body
req FOO /ping
is "unknown method FOO: 501 from lighttpd" "$STATUS" 501
is "... with a JSON ExceptionClass" "$(json .ExceptionClass)" MethodNotAllowed
head -c 1100000 /dev/zero | tr '\0' a >"$T/huge"
req POST /accounts/huge --data-binary "@$T/huge"
is "body over lighttpd's limit: 413" "$STATUS" 413
is "... with a JSON ExceptionClass" "$(json .ExceptionClass)" RequestEntityTooLarge
req GET /accounts/huge
ok "... nothing created" error_is 404 AccountNotFound
