#!/bin/sh
# 41-limits.t -- account limits as the Rucio client sets and reads them:
# local per RSE, global per RSE expression (quote_plus'ed in the path).
. tests/smoke/lib.sh
server_start
login
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
reqb POST /rses/RSE_A '{}'
reqb POST /rses/RSE_B '{}'
reqb POST /rses/RSE_A/attr/tier '{"value": 1}'
is "account and RSEs: 201" "$STATUS" 201

reqb POST /accounts/jdoe/limits/local/RSE_A '{"bytes": 1000000000000}'
is "local limit on RSE_A: 201" "$STATUS" 201
reqb POST /accounts/jdoe/limits/local/RSE_B '{"bytes": -1}'
is "no limit (-1) on RSE_B: 201" "$STATUS" 201
reqb POST /accounts/jdoe/limits/local/RSE_A '{"bytes": 10}'
is "replace it: 201" "$STATUS" 201
req GET /accounts/jdoe/limits/local
is "local limits (jq reads Infinity as the largest double)" "$(json -S -c .)" \
    '{"RSE_A":10,"RSE_B":1.7976931348623157e+308}'
ok "... no limit (-1) is written Infinity, as Rucio writes float('inf')" \
    grep -q '"RSE_B":Infinity' "$T/body"
is "... application/json" "$(header Content-Type)" application/json
req GET /accounts/jdoe/limits
is "... also at /limits" "$(json -S -c .)" \
    '{"RSE_A":10,"RSE_B":1.7976931348623157e+308}'
req GET /accounts/jdoe/limits/local/RSE_B
is "one unlimited RSE's" "$(cat "$T/body")" '{"RSE_B":Infinity}'
req GET /accounts/jdoe/limits/local/RSE_A
is "one RSE's" "$(json -c .)" '{"RSE_A":10}'
req GET /accounts/root/limits/RSE_A
is "an RSE without a limit: null" "$(json -c .)" '{"RSE_A":null}'
reqb POST /accounts/jdoe/limits/local/NOPE '{"bytes": 1}'
ok "on a missing RSE: 404 RSENotFound" error_is 404 RSENotFound
reqb POST /accounts/nobody/limits/local/RSE_A '{"bytes": 1}'
ok "for a missing account: 404 AccountNotFound" error_is 404 AccountNotFound
reqb POST /accounts/jdoe/limits/local/RSE_A '{"bytes": "lots"}'
ok "bytes not an integer: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /accounts/jdoe/limits/local/RSE_A '{}'
ok "no bytes: 400 KeyError" error_is 400 KeyError

# a rename keeps the limit (limits follow the RSE's id)
reqb PUT /rses/RSE_B '{"name": "RSE_C"}'
req GET /accounts/jdoe/limits/local
is "after renaming RSE_B to RSE_C" "$(json -S -c .)" \
    '{"RSE_A":10,"RSE_C":1.7976931348623157e+308}'
ok "... still Infinity" grep -q '"RSE_C":Infinity' "$T/body"
req DELETE /accounts/jdoe/limits/local/RSE_C
is "delete a local limit: 200" "$STATUS" 200
req GET /accounts/jdoe/limits/local
is "... gone" "$(json -c .)" '{"RSE_A":10}'

reqb POST '/accounts/jdoe/limits/global/tier%3D1%7CRSE_C' '{"bytes": 10}'
is "global limit on tier=1|RSE_C: 201" "$STATUS" 201
req GET /accounts/jdoe/limits/global
is "global limits, resolved" "$(json -c '."tier=1|RSE_C" | [.resolved_rses, .limit]')" '[["RSE_A","RSE_C"],10]'
is "... with the RSE ids" "$(json '."tier=1|RSE_C".resolved_rse_ids | length')" 2
req GET '/accounts/jdoe/limits/global/tier%3D1%7CRSE_C'
is "one expression's" "$(json -c .)" '{"tier=1|RSE_C":10}'
reqb POST '/accounts/jdoe/limits/global/RSE_A' '{"bytes": -1}'
req GET '/accounts/jdoe/limits/global/RSE_A'
is "an unlimited global limit: Infinity" "$(cat "$T/body")" '{"RSE_A":Infinity}'
req GET /accounts/jdoe/limits/global
ok "... also in the resolved form" grep -q '"limit":Infinity' "$T/body"
req DELETE '/accounts/jdoe/limits/global/RSE_A'
reqb POST '/accounts/jdoe/limits/global/tier%3D9' '{"bytes": 10}'
ok "an expression that selects nothing: 400 InvalidRSEExpression" error_is 400 InvalidRSEExpression
reqb POST '/accounts/jdoe/limits/global/RSE_A%7C' '{"bytes": 10}'
ok "bad syntax: 400 InvalidRSEExpression" error_is 400 InvalidRSEExpression
req DELETE '/accounts/jdoe/limits/global/tier%3D1%7CRSE_C'
is "delete the global limit: 200" "$STATUS" 200
req GET /accounts/jdoe/limits/global
is "... gone" "$(json -c .)" '{}'

TOKEN=$("$B/gridrest-db" token jdoe)
reqb POST /accounts/jdoe/limits/local/RSE_A '{"bytes": 99}'
ok "a user sets its own limit: 401 AccessDenied" error_is 401 AccessDenied
req GET /accounts/jdoe/limits
is "a user reads limits: 200" "$STATUS" 200
