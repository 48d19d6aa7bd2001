#!/bin/sh
# 45-account-usage.t -- what an account uses on RSEs next to its limits,
# as the Rucio client reads it: /accounts/{a}/usage/local[/{rse}],
# /usage/global[/{expr}], /usage/history/{rse}, and per RSE
# /rses/{rse}/accounts/usage. The counters are kept by replication rules;
# here `gridrest-db usage-add` moves them as a rule's locks will.
. tests/smoke/lib.sh
server_start
db=$B/gridrest-db
login
root=$TOKEN
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
reqb POST /accounts/eve '{"type": "USER", "email": "e@example.org"}'
reqb POST /accounts/cadm '{"type": "USER", "email": "c@example.org"}'
reqb POST /accounts/cadm/attr/country-ch '{"value": "admin"}'
for r in RSE_A RSE_B RSE_C RSE_D; do reqb POST "/rses/$r" '{}'; done
reqb POST /rses/RSE_A/attr/tier '{"value": 1}'
reqb POST /rses/RSE_B/attr/tier '{"value": 1}'
is "accounts and RSEs: 201" "$STATUS" 201

req GET /accounts/jdoe/usage/local
is "nothing used, no limits: an empty stream" \
    "$STATUS $(header Content-Type) $(wc -c <"$T/body")" \
    "200 application/x-json-stream 0"

reqb POST /accounts/jdoe/limits/local/RSE_A '{"bytes": 1000}'
reqb POST /accounts/jdoe/limits/local/RSE_B '{"bytes": -1}'
"$db" usage-add jdoe RSE_A 3 600
"$db" usage-add jdoe RSE_C 1 50
is "usage-add on two RSEs" "$?" 0
"$db" usage-add jdoe RSE_A -4 0 2>"$T/err"
ok "usage-add that would go below zero is refused" \
    grep -q "would fall below zero" "$T/err"
"$db" usage-add nobody RSE_A 1 1 2>"$T/err"
ok "usage-add for an unknown account fails" grep -q "nobody" "$T/err"
"$db" usage-add jdoe NOPE 1 1 2>"$T/err"
ok "usage-add on an unknown RSE fails" grep -q "NOPE" "$T/err"

req GET /accounts/jdoe/usage/local
is "local usage: limits and usage, by RSE" \
    "$(jq -c '[.rse, .bytes, .files, .bytes_limit, .bytes_remaining]' "$T/body" | tr '\n' ' ')" \
    '["RSE_A",600,3,1000,400] ["RSE_B",0,0,1.7976931348623157e+308,1.7976931348623157e+308] ["RSE_C",50,1,0,-50] '
ok "... an unlimited limit is Infinity, as Rucio writes it" \
    grep -q '"bytes_limit":Infinity,"bytes_remaining":Infinity' "$T/body"
ok "... every row carries its RSE id" \
    [ "$(jq -r '.rse_id | length' "$T/body" | sort -u)" = 32 ]
is "... RSE_D (no limit, no usage) is not listed" \
    "$(grep -c RSE_D "$T/body")" 0
req GET /accounts/jdoe/usage
is "... the same at /usage" "$(jq -r .rse "$T/body" | tr '\n' ' ')" "RSE_A RSE_B RSE_C "
req GET /accounts/jdoe/usage/
is "... and at /usage/" "$(jq -r .rse "$T/body" | tr '\n' ' ')" "RSE_A RSE_B RSE_C "
req GET /accounts/jdoe/usage/local/RSE_A
is "one RSE" "$(json -c '[.rse, .bytes, .files, .bytes_limit, .bytes_remaining]')" \
    '["RSE_A",600,3,1000,400]'
req GET /accounts/jdoe/usage/RSE_C
is "... also at /usage/{rse}" "$(json -c '[.rse, .bytes_limit]')" '["RSE_C",0]'
req GET /accounts/jdoe/usage/local/RSE_D
is "an RSE with neither: empty" "$STATUS $(wc -c <"$T/body")" "200 0"
req GET /accounts/jdoe/usage/local/NOPE
ok "an unknown RSE: 404 RSENotFound" error_is 404 RSENotFound
req GET /accounts/jdoe/usage/local/bad_name
ok "an invalid RSE name: 404 RSENotFound" error_is 404 RSENotFound
req GET /accounts/nobody/usage/local
ok "an unknown account: 404 AccountNotFound" error_is 404 AccountNotFound

# the figures follow the counter both ways
"$db" usage-add jdoe RSE_A -3 -600
req GET /accounts/jdoe/usage/local/RSE_A
is "usage taken back: zeros with the limit" \
    "$(json -c '[.bytes, .files, .bytes_limit, .bytes_remaining]')" '[0,0,1000,1000]'
"$db" usage-add jdoe RSE_A 2 200

# global: summed over what the expression selects now
reqb POST '/accounts/jdoe/limits/global/tier%3D1' '{"bytes": 5000}'
reqb POST '/accounts/jdoe/limits/global/RSE_C%7CRSE_D' '{"bytes": -1}'
req GET /accounts/jdoe/usage/global
is "global usage: one row per global limit" \
    "$(jq -c '[.rse_expression, .bytes, .files, .bytes_limit, .bytes_remaining]' "$T/body" | tr '\n' ' ')" \
    '["RSE_C|RSE_D",50,1,1.7976931348623157e+308,1.7976931348623157e+308] ["tier=1",200,2,5000,4800] '
ok "... Infinity for the unlimited one" grep -q '"bytes_limit":Infinity' "$T/body"
req GET '/accounts/jdoe/usage/global/tier%3D1'
is "one expression" "$(json -c '[.rse_expression, .bytes, .bytes_limit]')" '["tier=1",200,5000]'
req GET '/accounts/jdoe/usage/global/RSE_A%7CRSE_C'
is "an expression without a limit: its usage, limit 0" \
    "$(json -c '[.bytes, .files, .bytes_limit, .bytes_remaining]')" '[250,3,0,-250]'
reqb POST /rses/RSE_C/attr/tier '{"value": 1}'
req GET '/accounts/jdoe/usage/global/tier%3D1'
is "an RSE joins the expression: its usage counts at once" "$(json .bytes)" 250
req GET '/accounts/jdoe/usage/global/RSE_A%7C'
ok "bad syntax: 400 InvalidRSEExpression" error_is 400 InvalidRSEExpression
req GET '/accounts/jdoe/usage/global/tier%3D9'
ok "an expression that selects nothing: 400 InvalidRSEExpression" \
    error_is 400 InvalidRSEExpression

# history: hourly points, oldest first, ISO dates
req GET /accounts/jdoe/usage/history/RSE_A
is "history: application/json" "$STATUS $(header Content-Type)" "200 application/json"
is "... this hour's point holds the last figures" \
    "$(json -c '[length, .[-1].bytes, .[-1].files]')" '[1,200,2]'
ok "... dated %Y-%m-%dT%H:%M:%S" \
    sh -c "jq -r '.[0].updated_at' '$T/body' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\$'"
req GET /accounts/jdoe/usage/history/RSE_D
is "no history on an RSE: []" "$STATUS $(json -c .)" "200 []"
req GET /accounts/jdoe/usage/history/NOPE
ok "history on an unknown RSE: 404 RSENotFound" error_is 404 RSENotFound

# per RSE: the accounts with a limit or usage there
"$db" usage-add eve RSE_A 1 7
req GET /rses/RSE_A/accounts/usage
is "RSE accounts usage: JSON lines under application/json (as upstream)" \
    "$STATUS $(header Content-Type)" "200 application/json"
is "... one line per account with a limit or usage, by account" \
    "$(jq -c '[.account, .used_files, .used_bytes, .quota_bytes, .rse]' "$T/body" | tr '\n' ' ')" \
    '["eve",1,7,null,"RSE_A"] ["jdoe",2,200,1000,"RSE_A"] '
req GET /rses/RSE_B/accounts/usage
is "... the stored quota, -1 for unlimited" "$(json -c '[.account, .quota_bytes]')" '["jdoe",-1]'
req GET /rses/NOPE/accounts/usage
ok "... unknown RSE: 404 RSENotFound" error_is 404 RSENotFound
req GET '/rses/RSE_A/usage?source=rucio&per_account=true'
is "RSE usage per_account: the accounts' usage there, largest first" \
    "$(json -c '[.account_usages[] | [.account, .used]]')" '[["jdoe",200],["eve",7]]'

# rights: the account itself, admins and country admins read usage
TOKEN=$("$db" token jdoe)
req GET /accounts/jdoe/usage/local
is "jdoe reads its own usage: 200" "$STATUS" 200
req GET /accounts/eve/usage/local
ok "jdoe reads eve's: 401 AccessDenied" error_is 401 AccessDenied
req GET /accounts/eve/usage/global
ok "... nor its global usage" error_is 401 AccessDenied
req GET /accounts/eve/usage/history/RSE_A
ok "... nor its history" error_is 401 AccessDenied
req GET /rses/RSE_A/accounts/usage
is "... per-RSE figures are readable by any token (as upstream)" "$STATUS" 200
TOKEN=$("$db" token cadm)
req GET /accounts/jdoe/usage/local
is "a country admin reads jdoe's usage: 200" "$STATUS" 200
TOKEN=
req GET /accounts/jdoe/usage/local
ok "no token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
TOKEN=$root

# nothing of this is written twice: the store is consistent, but for
# the usage that usage-add set by hand, which no rule's lock holds
"$db" verify >"$T/verify" 2>&1
is "gridrest-db verify: the indexes agree" \
    "$(grep -c 'entries, .* expected' "$T/verify")" 0
is "... and it names each usage no lock holds" \
    "$(grep -c '^usage of [a-z]* on .*, locks hold 0 files 0 bytes' "$T/verify")" \
    "$("$db" dump account_usage.db | grep -c '"table":"account_usage.db"')"
