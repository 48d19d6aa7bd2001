#!/bin/sh
# 40-rses.t -- /rses as the Rucio client uses it: create with settings,
# get, list, update (and rename), delete, attributes; errors and rights.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN

reqb POST /rses/RSE_A '{}'
is "POST /rses/RSE_A with {}: 201" "$STATUS" 201
reqb POST /rses/RSE_B ''
is "POST /rses/RSE_B with no body: 201" "$STATUS" 201
reqb POST /rses/RSE_T '{"rse_type": "TAPE", "city": "Geneva", "deterministic": false, "availability": 5, "latitude": 46.2, "longitude": 6.1}'
is "POST /rses/RSE_T with settings: 201" "$STATUS" 201
reqb POST /rses/RSE_A '{}'
ok "again: 409 Duplicate" error_is 409 Duplicate
is "... Rucio's message" "$(json .ExceptionMessage)" "RSE 'RSE_A' already exists!"
reqb POST /rses/rse_lower '{}'
ok "lower-case name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/RSE__X '{}'
ok "double separator: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/RSE_X '{"rse_type": "FLOPPY"}'
ok "bad rse_type: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/RSE_X '{"availability": 7, "availability_read": true}'
ok "both availability forms: 422 InputValidationError" error_is 422 InputValidationError
reqb POST /rses/RSE_X '{"volatile": "maybe"}'
ok "a boolean that is none: 400 TypeError" error_is 400 TypeError
reqb POST /rses/RSE_X '{"colour": "red"}'
ok "an unknown setting: 400 InputValidationError" error_is 400 InputValidationError
req GET /rses/RSE_X
ok "... none of them created" error_is 404 RSENotFound

req GET /rses/RSE_T
is "GET /rses/RSE_T: 200" "$STATUS" 200
is "... the info form" "$(json -c '[.rse, .rse_type, .deterministic, .availability, .availability_write, .lfn2pfn_algorithm, .protocols]')" \
    '["RSE_T","TAPE",false,5,false,"hash",[]]'
ok "... an id of 32 hex digits" matches "$(json .id)" '^[0-9a-f]{32}$'
req GET /rses/NOPE
ok "GET of a missing RSE: 404 RSENotFound" error_is 404 RSENotFound

req GET /rses/
is "list: a stream" "$(header Content-Type)" application/x-json-stream
is "... ordered by name" "$(jq -r .rse "$T/body" | tr '\n' ' ')" "RSE_A RSE_B RSE_T "
is "... rows with availability and RFC 1123 dates" \
    "$(jq -r 'select(.rse == "RSE_T") | [.availability, .city, .deleted] | @csv' "$T/body")" '5,"Geneva",false'
ok "... created_at in RFC 1123" matches "$(jq -r 'select(.rse == "RSE_A") | .created_at' "$T/body")" \
    '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} UTC$'

req GET /rses/RSE_T/attr/
is "attributes: the implicit one and the mirrored city" "$(json -c .)" '{"RSE_T":true,"city":"Geneva"}'
reqb POST /rses/RSE_T/attr/tier '{"value": 1}'
is "set attribute tier=1: 201" "$STATUS" 201
reqb POST /rses/RSE_T/attr/istape '{"value": "True"}'
reqb POST /rses/RSE_T/attr/tier '{"value": "2"}'
is "set it again (upsert): 201" "$STATUS" 201
req GET /rses/RSE_T/attr/
is "... numbers as strings, booleans as booleans" "$(json -c '[.tier, .istape]')" '["2",true]'
reqb POST /rses/RSE_T/attr/k '{}'
ok "no value: 400 KeyError" error_is 400 KeyError
reqb POST /rses/NOPE/attr/k '{"value": 1}'
ok "on a missing RSE: 404 RSENotFound" error_is 404 RSENotFound
req DELETE /rses/RSE_T/attr/tier
is "delete attribute: 200" "$STATUS" 200
req DELETE /rses/RSE_T/attr/tier
ok "again: 404 RSEAttributeNotFound" error_is 404 RSEAttributeNotFound

reqb PUT /rses/RSE_A '{"availability_write": false, "city": "Bern"}'
is "PUT /rses/RSE_A: 201 (as the client expects)" "$STATUS" 201
req GET /rses/RSE_A
is "... availability 5" "$(json .availability)" 5
req GET /rses/RSE_A/attr
is "... the mirrored city attribute follows" "$(json .city)" Bern
reqb PUT /rses/RSE_A '{"ISP": "x"}'
ok "PUT of a setting that cannot change: 400 InputValidationError" error_is 400 InputValidationError
reqb PUT /rses/RSE_A '{"name": "RSE_B"}'
ok "rename onto an existing RSE: 409 Duplicate" error_is 409 Duplicate
reqb PUT /rses/RSE_A '{"name": "RSE_C"}'
is "rename RSE_A to RSE_C: 201" "$STATUS" 201
req GET /rses/RSE_A
ok "... RSE_A is gone" error_is 404 RSENotFound
req GET /rses/RSE_C/attr
is "... the attributes moved, the implicit one renamed" "$(json -c '[.RSE_C, .city, .RSE_A]')" '[true,"Bern",null]'

req DELETE /rses/RSE_B
is "delete RSE_B: 200" "$STATUS" 200
req GET /rses/RSE_B
ok "... then 404 RSENotFound" error_is 404 RSENotFound
req GET /rses
is "... and gone from the list" "$(jq -r .rse "$T/body" | tr '\n' ' ')" "RSE_C RSE_T "
req DELETE /rses/RSE_B
ok "delete again: 404" error_is 404 RSENotFound
reqb POST /rses/RSE_B '{}'
is "the name of a deleted RSE can be used again: 201" "$STATUS" 201
req GET '/rses/?expression=RSE_T'
is "?expression=RSE_T: a stream of {rse}" "$(json -c .)" '{"rse":"RSE_T"}'
req GET '/rses/?expression=%28RSE_T%7CRSE_C%29%5Ccity%3DBern'
is '(RSE_T|RSE_C)\city=Bern, quote_plus'"'"'ed as the client sends it' "$(json -r .rse)" RSE_T
req GET '/rses/?expression=*%5Crse_type%3DTAPE'
is '*\rse_type=TAPE' "$(jq -r .rse "$T/body" | tr '\n' ' ')" "RSE_B RSE_C "
req GET '/rses/?expression=RSE_T%7C'
ok "bad syntax: 400 InvalidRSEExpression" error_is 400 InvalidRSEExpression
long=$(head -c 1025 /dev/zero | tr '\0' A)
req GET "/rses/?expression=$long"
ok "an expression of 1025 characters: 400 InvalidRSEExpression" \
    error_is 400 InvalidRSEExpression
is "... saying it is too long, not bad syntax" "$(json .ExceptionMessage)" \
    "An RSE expression has at most 1024 characters: this one has 1025"
req GET "/rses/?expression=${long%A}"
is "... one of 1024 is evaluated" "$(json .ExceptionMessage)" \
    "RSE Expression resulted in an empty set."
req GET '/rses/?expression=tier%3D42'
ok "an empty result: 400 InvalidRSEExpression" error_is 400 InvalidRSEExpression
is "... saying so" "$(json .ExceptionMessage)" "RSE Expression resulted in an empty set."

# RSE limits (MinFreeSpace...)
reqb PUT /rses/RSE_T/limits '{"name": "MinFreeSpace", "value": 10000}'
is "set MinFreeSpace: 200" "$STATUS" 200
reqb PUT /rses/RSE_T/limits '{"name": "MaxBeingDeletedFiles", "value": 100}'
reqb PUT /rses/RSE_T/limits '{"name": "MinFreeSpace", "value": 20000}'
req GET /rses/RSE_T/limits
is "RSE limits, the last value kept" "$(json -S -c .)" '{"MaxBeingDeletedFiles":100,"MinFreeSpace":20000}'
reqb PUT /rses/RSE_T/limits '{"name": "MinFreeSpace", "value": "lots"}'
ok "a value that is no integer: 400 InvalidObject" error_is 400 InvalidObject
reqb PUT /rses/RSE_T/limits '{"value": 1}'
ok "no name: 400 KeyError" error_is 400 KeyError
reqb PUT /rses/NOPE/limits '{"name": "MinFreeSpace", "value": 1}'
ok "on a missing RSE: 404 RSENotFound" error_is 404 RSENotFound
reqb DELETE /rses/RSE_T/limits '{"name": "MaxBeingDeletedFiles"}'
is "delete one: 200" "$STATUS" 200
req GET /rses/RSE_T/limits
is "... gone" "$(json -c .)" '{"MinFreeSpace":20000}'

# rights: a plain user reads, only admins write
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
TOKEN=$("$B/gridrest-db" token jdoe)
req GET /rses/RSE_T
is "a user reads an RSE: 200" "$STATUS" 200
reqb POST /rses/RSE_U '{}'
ok "a user adds an RSE: 401 AccessDenied" error_is 401 AccessDenied
reqb PUT /rses/RSE_T '{"city": "x"}'
ok "a user updates an RSE: 401 AccessDenied" error_is 401 AccessDenied
req DELETE /rses/RSE_T
ok "a user deletes an RSE: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /rses/RSE_T/attr/k '{"value": 1}'
ok "a user sets an attribute: 401 AccessDenied" error_is 401 AccessDenied
reqb PUT /rses/RSE_T/limits '{"name": "MinFreeSpace", "value": 1}'
ok "a user sets an RSE limit: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=
req GET /rses
ok "no token: 401" error_is 401 CannotAuthenticate
"$B/gridrest-db" verify >"$T/verify.out" 2>&1
ok "the store verifies" grep -q '^verify: ok' "$T/verify.out"
