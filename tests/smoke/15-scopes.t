#!/bin/sh
# 15-scopes.t -- /scopes and /accounts/{a}/scopes as the Rucio client uses
# them: create, list all / by account / owners, change owner, and errors.
. tests/smoke/lib.sh
server_start
login
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
is "account jdoe: 201" "$STATUS" 201

reqb POST /accounts/root/scopes/sc1 ''
is "POST /accounts/root/scopes/sc1: 201" "$STATUS" 201
ok "... body Created" grep -qx Created "$T/body"
reqb POST /scopes/jdoe/user.jdoe ''
is "POST /scopes/jdoe/user.jdoe: 201" "$STATUS" 201
reqb POST /scopes/jdoe/user.jdoe ''
ok "again: 409 Duplicate" error_is 409 Duplicate
is "... Rucio's message" "$(json .ExceptionMessage)" "Scope 'user.jdoe' already exists!"
reqb POST /scopes/jdoe/bad%2Fname ''
ok "bad name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /scopes/jdoe/abcdefghijklmnopqrstuvwxyz ''
ok "26 characters: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /scopes/nobody/sc2 ''
ok "for a missing account: 404 AccountNotFound" error_is 404 AccountNotFound

req GET /scopes/
is "GET /scopes/: 200" "$STATUS" 200
is "... application/json" "$(header Content-Type)" application/json
is "... every scope" "$(json -c .)" '["sc1","user.jdoe"]'
req GET /scopes
is "GET /scopes (no slash) too" "$(json -c .)" '["sc1","user.jdoe"]'
req GET /accounts/jdoe/scopes/
is "jdoe's scopes" "$(json -c .)" '["user.jdoe"]'
req GET /scopes/root/scopes
is "root's scopes via /scopes/root/scopes" "$(json -c .)" '["sc1"]'
req GET /scopes/owner
is "owners" "$(json -c .)" '[{"scope":"sc1","account":"root"},{"scope":"user.jdoe","account":"jdoe"}]'
req GET /accounts/nobody/scopes
ok "scopes of a missing account: 404 AccountNotFound" error_is 404 AccountNotFound
reqb POST /accounts/empty '{"type": "USER", "email": "e@example.org"}'
req GET /accounts/empty/scopes
ok "an account without scopes: 404 ScopeNotFound" error_is 404 ScopeNotFound

reqb PUT /scopes/root/user.jdoe ''
is "PUT /scopes/root/user.jdoe (change owner): 201" "$STATUS" 201
req GET /scopes/owner
is "... owner changed" "$(json '.[] | select(.scope == "user.jdoe") | .account')" root
reqb PUT /scopes/root/nosuch ''
ok "change owner of a missing scope: 404 ScopeNotFound" error_is 404 ScopeNotFound
reqb PUT /scopes/nobody/sc1 ''
ok "to a missing account: 404 AccountNotFound" error_is 404 AccountNotFound

# only admins create scopes: jdoe has no token flow yet, so revoke root's
# rights the other way round: a deleted account cannot own a new scope
req DELETE /accounts/jdoe
reqb POST /scopes/jdoe/user.jdoe2 ''
ok "for a deleted account: 404 AccountNotFound" error_is 404 AccountNotFound

TOKEN=
req GET /scopes/
ok "no token: 401" error_is 401 CannotAuthenticate
