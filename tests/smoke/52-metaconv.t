#!/bin/sh
# 52-metaconv.t -- the metadata conventions (/meta_conventions as the
# current client uses it, and seed 002's /meta): keys with their types and
# regexps, allowed values, deletion, admin rights, the errors; and the one
# thing they constrain, a dataset's datatype.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
reqb POST /scopes/jdoe/user.jdoe ''
user=$("$B/gridrest-db" token jdoe)

req GET /meta_conventions/
is "no keys at first: 200 []" "$STATUS $(json -c .)" "200 []"
is "... as JSON" "$(header Content-Type)" application/json

reqb POST /meta_conventions/datatype '{"key_type": "DATASET", "value_type": null, "value_regexp": null}'
is "add a key: 201" "$STATUS" 201
reqb POST /meta_conventions/run '{"key_type": "ALL", "value_type": "<class '"'"'int'"'"'>"}'
is "a key with a value type: 201" "$STATUS" 201
reqb POST /meta_conventions/tag '{"key_type": "F", "value_regexp": "^[a-z]\\d+"}'
is "a key with a regexp (and F for FILE): 201" "$STATUS" 201
req GET /meta_conventions/
is "the keys, in order" "$(json -c .)" '["datatype","run","tag"]'

reqb POST /meta_conventions/datatype '{"key_type": "ALL"}'
ok "the same key again: 409 Duplicate" error_is 409 Duplicate
reqb POST /meta_conventions/k2 '{"key_type": "BAG"}'
ok "an unknown key type: 400 UnsupportedKeyType" error_is 400 UnsupportedKeyType
reqb POST /meta_conventions/k2 '{}'
ok "no key type: 400 UnsupportedKeyType" error_is 400 UnsupportedKeyType
reqb POST /meta_conventions/k2 '{"key_type": "ALL", "value_type": "<class '"'"'list'"'"'>"}'
ok "an unknown value type: 400 UnsupportedValueType" error_is 400 UnsupportedValueType
reqb POST /meta_conventions/k2 '{"key_type": "ALL", "value_regexp": "(a"}'
ok "a regexp that is not one: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /meta_conventions/k2 '{"key_type": "ALL", "value_regexp": "(?P<x>a)"}'
ok "... nor one of Python's extensions: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /meta_conventions/k2 'nope'
ok "a body that is not JSON: 400" [ "$STATUS" = 400 ]
req GET /meta_conventions/
is "... none of them stored" "$(json -c .)" '["datatype","run","tag"]'

# --- values ---
reqb POST /meta_conventions/datatype/ '{"value": "AOD"}'
is "add a value (note the slash): 201" "$STATUS" 201
reqb POST /meta_conventions/datatype/ '{"value": "RAW"}'
req GET /meta_conventions/datatype/
is "the values" "$STATUS $(json -c .)" '200 ["AOD","RAW"]'
reqb POST /meta_conventions/datatype/ '{"value": "AOD"}'
ok "the same value again: 409 Duplicate" error_is 409 Duplicate
reqb POST /meta_conventions/nokey/ '{"value": "x"}'
ok "a value for an unknown key: 404 KeyNotFound" error_is 404 KeyNotFound
req GET /meta_conventions/nokey/
is "the values of an unknown key: 200 []" "$STATUS $(json -c .)" "200 []"
reqb POST /meta_conventions/tag/ '{"value": "b12"}'
is "a value matching the regexp (\\d): 201" "$STATUS" 201
reqb POST /meta_conventions/tag/ '{"value": "b12xyz"}'
is "... the match is anchored at the start only (re.match): 201" "$STATUS" 201
reqb POST /meta_conventions/tag/ '{"value": "12b"}'
ok "a value not matching it: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb POST /meta_conventions/run/ '{"value": 42}'
is "an int for an int key: 201" "$STATUS" 201
reqb POST /meta_conventions/run/ '{"value": "42x"}'
ok "a string for an int key: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb POST /meta_conventions/run/ '{}'
ok "no value: 400 KeyError" error_is 400 KeyError
reqb POST /meta_conventions/run/ '{"value": [1]}'
ok "a list as a value: 400 InvalidObject" error_is 400 InvalidObject
req GET /meta_conventions/run/
is "... only the good values stored" "$(json -c .)" '["42"]'
req GET /meta_conventions/tag/
is "... for the regexp key too" "$(json -c .)" '["b12","b12xyz"]'

# --- the datatype of datasets ---
reqb POST /scopes/root/data ''
reqb POST /dids/data/ds1 '{"type": "DATASET", "meta": {"datatype": "AOD"}}'
is "a dataset with a registered datatype: 201" "$STATUS" 201
req GET /dids/data/ds1/meta
is "... stored" "$(json .datatype)" AOD
reqb POST /dids/data/ds2 '{"type": "DATASET", "meta": {"datatype": "ESD"}}'
ok "an unregistered datatype: 400 InvalidObject" error_is 400 InvalidObject
req GET /dids/data/ds2
ok "... and nothing created" error_is 404 DataIdentifierNotFound
reqb POST /dids '[{"scope": "data", "name": "ds3", "type": "DATASET"}, {"scope": "data", "name": "ds4", "type": "DATASET", "meta": {"datatype": "ESD"}}]'
ok "... in a bulk creation too: 400, all or nothing" error_is 400 InvalidObject
req GET /dids/data/ds3
ok "... the first one not created" error_is 404 DataIdentifierNotFound
reqb POST /dids/data/cn1 '{"type": "CONTAINER", "meta": {"datatype": "ESD"}}'
is "containers are not checked (as Rucio): 201" "$STATUS" 201

# --- rights ---
TOKEN=$user
reqb POST /meta_conventions/mine '{"key_type": "ALL"}'
ok "a user may not add a key: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /meta_conventions/datatype/ '{"value": "USR"}'
ok "... nor a value: 401 AccessDenied" error_is 401 AccessDenied
req DELETE /meta_conventions/datatype
ok "... nor delete a key: 401 AccessDenied" error_is 401 AccessDenied
req GET /meta_conventions/datatype/
is "... but may read" "$STATUS $(json -c .)" '200 ["AOD","RAW"]'
TOKEN=
req GET /meta_conventions/
ok "no token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
TOKEN=$root

# --- deletion ---
req DELETE /meta_conventions/datatype/RAW
is "delete a value: 200" "$STATUS" 200
req GET /meta_conventions/datatype/
is "... gone" "$(json -c .)" '["AOD"]'
req DELETE /meta_conventions/datatype/RAW
ok "... again: 404 KeyNotFound" error_is 404 KeyNotFound
req DELETE /meta_conventions/tag
is "delete a key: 200" "$STATUS" 200
req GET /meta_conventions/tag/
is "... its values go with it" "$(json -c .)" "[]"
reqb POST /meta_conventions/tag '{"key_type": "ALL"}'
is "... and it may be added again: 201" "$STATUS" 201
req DELETE /meta_conventions/nokey
ok "delete an unknown key: 404 KeyNotFound" error_is 404 KeyNotFound

# --- seed 002's /meta ---
reqb POST /meta/project ''
is "POST /meta/{key} with no body: a key of type ALL, 201" "$STATUS" 201
req GET /meta/
is "GET /meta/ lists the same registry" "$(json -c .)" '["datatype","project","run","tag"]'
reqb POST /meta/project/ '{"value": "data18"}'
req GET /meta/project/
is "values through /meta" "$(json -c .)" '["data18"]'
req DELETE /meta/project/data18
req DELETE /meta/project
is "DELETE /meta/{key}: 200" "$STATUS" 200
req GET /meta_conventions/
is "... gone from the registry" "$(json -c .)" '["datatype","run","tag"]'

"$B/gridrest-db" verify >"$T/verify" 2>&1
ok "the store verifies" [ $? -eq 0 ]
