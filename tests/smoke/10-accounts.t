#!/bin/sh
# 10-accounts.t -- /auth/userpass and /accounts as a Rucio client sees them:
# create, get, list as a stream with filters, update, delete = disable.
. tests/smoke/lib.sh
server_start

login root root wrong-password
ok "login with a wrong password: 401 CannotAuthenticate" \
    error_is 401 CannotAuthenticate
login nobody root "$GRIDREST_ROOT_PASSWORD"
ok "login to an account the identity is not mapped to: 401" \
    error_is 401 CannotAuthenticate
req GET /auth/userpass -H 'X-Rucio-Username: root'
ok "login without a password: 401" error_is 401 CannotAuthenticate

login
is "root logs in: 200" "$STATUS" 200
ok "... token in X-Rucio-Auth-Token" [ -n "$TOKEN" ]
ok "... expiry is an RFC 1123 date" matches \
    "$(header X-Rucio-Auth-Token-Expires)" \
    '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$'
is "... X-Rucio-Auth-Account" "$(header X-Rucio-Auth-Account)" root
login '' root "$GRIDREST_ROOT_PASSWORD"
is "login without X-Rucio-Account uses the identity's account" \
    "$(header X-Rucio-Auth-Account)" root

req GET /auth/validate
is "GET /auth/validate: 200" "$STATUS" 200
ok "... names the account" grep -q "'account': 'root'" "$T/body"

req GET /accounts/whoami
is "whoami: 303" "$STATUS" 303
is "... Location is the issuer's account" "$(header Location)" /accounts/root
req GET /accounts/whoami -L
is "... which the client follows to root" "$(json .account)" root

req GET /accounts/root
is "GET /accounts/root: 200" "$STATUS" 200
is "... application/json" "$(header Content-Type)" application/json
is "... account_type" "$(json .account_type)" SERVICE
is "... status" "$(json .status)" ACTIVE
ok "... created_at is ISO 8601" matches "$(json .created_at)" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$'
is "... no deleted_at" "$(json .deleted_at)" null

reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
is "create jdoe: 201" "$STATUS" 201
ok "... body Created" grep -qx Created "$T/body"
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
ok "create jdoe again: 409 Duplicate" error_is 409 Duplicate
reqb POST /accounts/grp1 '{"type": "group", "email": "grp@example.org"}'
is "create a GROUP (type in any case): 201" "$STATUS" 201
reqb POST /accounts/svc1 '{"type": "SERVICE", "email": "svc@example.org"}'
is "create a SERVICE: 201" "$STATUS" 201

reqb POST /accounts/Bad.Name '{"type": "USER", "email": "x@example.org"}'
ok "bad account name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /accounts/abcdefghijklmnopqrstuvwxyz '{"type": "USER", "email": "x@example.org"}'
ok "26-character name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /accounts/x1 '{"type": "ROBOT", "email": "x@example.org"}'
ok "bad type: 400 InvalidAccountType" error_is 400 InvalidAccountType
reqb POST /accounts/x1 '{"type": "USER"}'
ok "no email: 400 KeyError" error_is 400 KeyError
reqb POST /accounts/x1 '{"type": 7, "email": "x@example.org"}'
ok "type not a string: 400 TypeError" error_is 400 TypeError
reqb POST /accounts/x1 '{"type": "USER", "email": "not-an-address"}'
ok "bad email: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /accounts/x1 '{"type": "USER",'
ok "broken JSON: 400 ValueError" error_is 400 ValueError
reqb POST /accounts/x1 '["USER"]'
ok "a JSON list: 400 TypeError" error_is 400 TypeError
reqb POST /accounts/x1 ''
ok "empty body: 400 ValueError" error_is 400 ValueError
req GET /accounts/x1
ok "... and none of them was created" error_is 404 AccountNotFound

req GET /accounts
is "list: 200" "$STATUS" 200
is "... application/x-json-stream" "$(header Content-Type)" application/x-json-stream
is "... one line per account, ordered" \
    "$(jq -r .account "$T/body" | tr '\n' ' ')" "grp1 jdoe root svc1 "
is "... entries are {account, type, email}" \
    "$(head -1 "$T/body" | jq -c 'keys')" '["account","email","type"]'
req GET '/accounts/?account_type=USER'
is "filter account_type=USER" "$(jq -r .account "$T/body" | tr '\n' ' ')" "jdoe "
req GET '/accounts?account=*o*'
is "filter account=*o* (wildcard)" "$(jq -r .account "$T/body" | tr '\n' ' ')" "jdoe root "
req GET '/accounts?identity=root'
is "filter identity=root" "$(jq -r .account "$T/body" | tr '\n' ' ')" "root "
req GET '/accounts?account_type=ROBOT'
ok "filter by a bad type: 400 InvalidAccountType" error_is 400 InvalidAccountType
req GET '/accounts?account=nomatch*'
is "no match: 200" "$STATUS" 200
is "... empty body" "$(wc -c <"$T/body" | tr -d ' ')" 0
req GET /accounts -H 'Accept: application/json'
ok "list with Accept: application/json: 406" error_is 406 UnsupportedRequestedContentType

req GET /accounts/jdoe/rules
is "rules of jdoe: an empty stream (no rules exist yet)" \
    "$STATUS/$(header Content-Type)/$(wc -c <"$T/body" | tr -d ' ')" \
    200/application/x-json-stream/0
req GET /accounts/nobody/rules
ok "rules of a missing account: 404 AccountNotFound" error_is 404 AccountNotFound

# jdoe's session, used on two families (each caches a token it checked)
reqb POST /accounts/jdoe/identities '{"identity": "jdoe", "authtype": "userpass", "email": "jdoe@example.org", "password": "pw-jdoe", "default": true}'
root_token=$TOKEN
login jdoe jdoe pw-jdoe
jdoe_token=$TOKEN
req GET /accounts/whoami -L
is "jdoe logs in and uses the token: 200" "$STATUS/$(json .account)" 200/jdoe
req GET /rses/
is "... on another family too: 200" "$STATUS" 200
TOKEN=$root_token

reqb PUT /accounts/jdoe '{"email": "john@example.org", "status": "SUSPENDED"}'
is "update jdoe: 200" "$STATUS" 200
TOKEN=$jdoe_token
req GET /accounts/whoami
ok "a suspended account's token is refused at once: 401" \
    error_is 401 CannotAuthenticate
req GET /rses/
ok "... on every family: 401" error_is 401 CannotAuthenticate
login jdoe jdoe pw-jdoe
ok "... and it cannot log in: 401" error_is 401 CannotAuthenticate
TOKEN=$root_token
req GET /accounts/jdoe
is "... email changed" "$(json .email)" john@example.org
is "... suspended" "$(json .status)" SUSPENDED
ok "... suspended_at set" nonempty "$(json .suspended_at)"
reqb PUT /accounts/jdoe '{"status": "ACTIVE"}'
req GET /accounts/jdoe
is "reactivated" "$(json .status)/$(json .suspended_at)" ACTIVE/null
TOKEN=$jdoe_token
req GET /rses/
ok "... the old token stays dead: 401" error_is 401 CannotAuthenticate
login jdoe jdoe pw-jdoe
is "... a new login works" "$STATUS/$(header X-Rucio-Auth-Account)" 200/jdoe
TOKEN=$root_token
reqb PUT /accounts/jdoe '{"colour": "blue"}'
ok "update an unknown key: 400 ValueError" error_is 400 ValueError
reqb PUT /accounts/jdoe '{"status": "DELETED"}'
ok "update status DELETED: 400 ValueError" error_is 400 ValueError
reqb PUT /accounts/nobody '{"email": "a@b.c"}'
ok "update a missing account: 404 AccountNotFound" error_is 404 AccountNotFound

req DELETE /accounts/jdoe
is "delete jdoe: 200" "$STATUS" 200
req GET /accounts/jdoe
is "... still readable, status DELETED" "$(json .status)" DELETED
ok "... deleted_at set" nonempty "$(json .deleted_at)"
req GET /accounts
is "... and gone from the list" "$(jq -r .account "$T/body" | tr '\n' ' ')" "grp1 root svc1 "
req DELETE /accounts/jdoe
ok "delete again: 404 AccountNotFound" error_is 404 AccountNotFound
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
ok "the name stays taken: 409 Duplicate" error_is 409 Duplicate
req DELETE /accounts/root
ok "root cannot be deleted: 401 AccessDenied" error_is 401 AccessDenied

# the store agrees with what the API said
"$B/gridrest-db" verify >"$T/verify.out" 2>&1
ok "gridrest-db verify: ok" grep -q '^verify: ok' "$T/verify.out"
"$B/gridrest-db" dump accounts >"$T/dump.out"
is "dump shows 4 account records" "$(wc -l <"$T/dump.out" | tr -d ' ')" 4
