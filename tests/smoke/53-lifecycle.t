#!/bin/sh
# 53-lifecycle.t -- what happens to DIDs after their creation: the new
# ones (GET /dids/new), metadata of many at once with inheritance (POST
# /dids/bulkmeta), samples (POST /dids/sample and the seed's long route),
# expiry (gridrest-db expired), the undertaker (gridrest-db undertaker,
# then the backends' own sweep) and resurrection (POST /dids/resurrect).
. tests/smoke/lib.sh
export GRIDREST_UNDERTAKER_INTERVAL=0 # the sweep is started by hand first
server_start
login
root=$TOKEN
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
reqb POST /scopes/jdoe/user.jdoe ''
user=$("$B/gridrest-db" token jdoe)

reqb POST /scopes/root/data ''
reqb POST /scopes/root/mc ''
reqb POST /rses/MOCK '{}'
reqb POST /rses/MOCK/protocols/root '{"hostname": "h", "port": 1094, "prefix": "/p", "impl": "x", "domains": {"wan": {"read": 1, "write": 1, "delete": 1}}}'
reqb POST /replicas "{\"rse\": \"MOCK\", \"files\": [$(seq 1 6 | sed 's/.*/{"scope":"data","name":"f&","bytes":&,"adler32":"0000000&"}/' | paste -sd,)]}"
reqb POST /dids/data/ds1 '{"type": "DATASET", "meta": {"project": "p1", "campaign": "c1", "color": "red"}, "dids": [{"scope": "data", "name": "f1"}, {"scope": "data", "name": "f2"}, {"scope": "data", "name": "f3"}, {"scope": "data", "name": "f4"}]}'
reqb POST /dids/data/cn1 '{"type": "CONTAINER", "meta": {"project": "pc", "version": "v9", "shape": "round"}, "dids": [{"scope": "data", "name": "ds1"}]}'
reqb POST /dids/mc/ds2 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f5"}]}'
is "the catalogue is set up" "$STATUS" 201

# --- GET /dids/new ---
req GET /dids/new
is "GET /dids/new: every DID is new at first" "$STATUS $(jq -r '"\(.scope):\(.name):\(.did_type)"' "$T/body" | sort | paste -sd' ')" \
    "200 data:cn1:CONTAINER data:ds1:DATASET data:f1:FILE data:f2:FILE data:f3:FILE data:f4:FILE data:f5:FILE data:f6:FILE mc:ds2:DATASET"
is "... a JSON stream" "$(header Content-Type)" application/x-json-stream
req GET '/dids/new?type=dataset'
is "?type=dataset (any case)" "$(jq -r .name "$T/body" | sort | paste -sd' ')" "ds1 ds2"
req GET '/dids/new?type=CONTAINER'
is "?type=CONTAINER" "$(jq -r .name "$T/body" | paste -sd' ')" "cn1"
reqb POST /dids/data/f6/meta/is_new '{"value": false}'
req GET '/dids/new?type=FILE'
is "a DID marked not new leaves the list" "$(jq -r .name "$T/body" | sort | paste -sd' ')" "f1 f2 f3 f4 f5"
reqb POST /dids/data/f6/meta/is_new '{"value": true}'
req GET '/dids/new?type=FILE'
is "... and comes back when new again" "$(jq -r .name "$T/body" | wc -l)" 6
req GET '/dids/new?type=bag'
ok "an unknown type: 409 UnsupportedOperation" error_is 409 UnsupportedOperation

# --- POST /dids/bulkmeta ---
reqb POST /dids/bulkmeta '{"dids": [{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "nope"}, {"scope": "data", "name": "cn1"}]}'
is "bulkmeta: the DID_COLUMN rows of the known DIDs" "$STATUS $(jq -c '[.scope, .name, .project, .did_type]' "$T/body" | paste -sd' ')" \
    '200 ["data","ds1","p1","DATASET"] ["data","cn1","pc","CONTAINER"]'
is "... a JSON stream" "$(header Content-Type)" application/x-json-stream
reqb POST /dids/bulkmeta '{"dids": [{"scope": "data", "name": "ds1"}], "plugin": "JSON"}'
is "plugin JSON: the custom keys" "$(jq -c . "$T/body")" '{"color":"red"}'
reqb POST /dids/bulkmeta '{"dids": [{"scope": "data", "name": "f1"}, {"scope": "data", "name": "nope"}], "inherit": true, "plugin": "ALL"}'
is "inherit: the file gets its dataset's and container's keys, nearest first" \
    "$(jq -c 'select(.name == "f1") | [.scope, .name, .did_type, .project, .campaign, .version, .color, .shape]' "$T/body")" \
    '["data","f1","FILE","p1","c1","v9","red","round"]'
is "... an unknown DID gives its scope and name only" "$(jq -c 'select(.name == "nope")' "$T/body")" '{"scope":"data","name":"nope"}'
reqb POST /dids/bulkmeta '{"dids": [{"scope": "data", "name": "ds1"}], "inherit": true, "plugin": "JSON"}'
is "... the child's value wins" "$(jq -c . "$T/body")" '{"color":"red","scope":"data","name":"ds1","shape":"round"}'
reqb POST /dids/bulkmeta '{"dids": [{"scope": "data", "name": "ds1"}], "plugin": "XML"}'
ok "an unknown plugin: 400 UnsupportedMetadataPlugin" error_is 400 UnsupportedMetadataPlugin
reqb POST /dids/bulkmeta '{"dids": [{"scope": "data", "name": "a b"}]}'
ok "a bad name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/bulkmeta '{"dids": 5}'
ok "dids not a list: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/bulkmeta '{"dids": [], "inherit": "maybe"}'
ok "inherit not a boolean: 400" [ "$STATUS" = 400 ]

# --- samples ---
reqb POST /dids/sample '{"input_scope": "data", "input_name": "cn1", "output_scope": "data", "output_name": "smp1", "nbfiles": 2}'
is "POST /dids/sample: 201" "$STATUS" 201
req GET /dids/data/smp1/dids
is "... a dataset of 2 files" "$(jq -r .name "$T/body" | wc -l)" 2
is "... taken from the files below the input" "$(jq -r .name "$T/body" | grep -cv '^f[1-4]$')" 0
req GET /dids/data/smp1
is "... a new open DATASET of the issuer" "$(json -c '[.type, .open, .account]')" '["DATASET",true,"root"]'
reqb POST /dids/data/cn1/dids '{"dids": [{"scope": "mc", "name": "ds2"}]}'
reqb POST /dids/sample '{"input_scope": "data", "input_name": "cn1", "output_scope": "data", "output_name": "smp2", "nbfiles": "50"}'
req GET /dids/data/smp2/dids
is "more asked than there are: all of them, each once" "$(jq -r .name "$T/body" | sort | paste -sd' ')" "f1 f2 f3 f4 f5"
reqb POST /dids/data/ds1/data/smp3/3/sample ""
is "the seed's long route: 201" "$STATUS" 201
req GET /dids/data/smp3/dids
is "... 3 files" "$(jq -r .name "$T/body" | wc -l)" 3
reqb POST /dids/sample '{"input_scope": "data", "input_name": "ds1", "output_scope": "data", "output_name": "smp0", "nbfiles": 0}'
req GET /dids/data/smp0/dids
is "nbfiles 0: an empty dataset" "$STATUS:$(cat "$T/body")" "200:"
reqb POST /dids/sample '{"input_scope": "data", "input_name": "ds1", "output_scope": "data", "output_name": "smp1", "nbfiles": 1}'
ok "an output that exists: 409 DataIdentifierAlreadyExists" error_is 409 DataIdentifierAlreadyExists
reqb POST /dids/sample '{"input_scope": "data", "input_name": "none", "output_scope": "data", "output_name": "smp4", "nbfiles": 1}'
ok "an unknown input: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
reqb POST /dids/sample '{"input_scope": "data", "input_name": "ds1", "output_scope": "data", "output_name": "smp4", "nbfiles": -1}'
ok "a negative nbfiles: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/sample '{"input_scope": "data", "input_name": "ds1", "output_scope": "data", "output_name": "smp4", "nbfiles": "x"}'
ok "nbfiles not a number: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/sample '{"input_scope": "data", "input_name": "ds1", "output_scope": "nope", "output_name": "smp4", "nbfiles": 1}'
ok "an unknown output scope: 404 ScopeNotFound" error_is 404 ScopeNotFound
TOKEN=$user
reqb POST /dids/sample '{"input_scope": "data", "input_name": "ds1", "output_scope": "data", "output_name": "smp4", "nbfiles": 1}'
ok "a user in another's scope: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /dids/sample '{"input_scope": "data", "input_name": "ds1", "output_scope": "user.jdoe", "output_name": "mine", "nbfiles": 1}'
is "... in the user's own scope: 201" "$STATUS" 201
TOKEN=$root
req GET /dids/data/smp4
ok "... nothing was made of the refused ones" error_is 404 DataIdentifierNotFound

# --- expiry and resurrection ---
reqb POST /dids/data/old '{"type": "DATASET", "lifetime": 0}'
reqb POST /dids/data/later '{"type": "DATASET", "lifetime": 86400}'
sleep 1.1
"$B/gridrest-db" expired >"$T/expired"
is "gridrest-db expired: the expired DID, not the one with time left" "$(cut -f1 "$T/expired")" "data:old"
req GET /dids/data/old
is "an expired DID is readable until the undertaker comes" "$STATUS $(json '.expired_at != null')" "200 true"
TOKEN=$user
reqb POST /dids/resurrect '[{"scope": "data", "name": "old"}]'
ok "a user may not resurrect: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
reqb POST /dids/resurrect '[{"scope": "data", "name": "old"}, {"scope": "data", "name": "later"}]'
ok "a DID not expired is not resurrected: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
"$B/gridrest-db" expired >"$T/expired"
is "... all or nothing: the expired one is still expired" "$(cut -f1 "$T/expired")" "data:old"
reqb POST /dids/resurrect '[{"scope": "data", "name": "ghost"}]'
ok "an unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
reqb POST /dids/resurrect '[{"scope": "data", "name": "old"}]'
is "resurrect the expired DID: 201" "$STATUS" 201
req GET /dids/data/old
is "... its expiry is gone" "$(json .expired_at)" null
"$B/gridrest-db" expired >"$T/expired"
is "... and it is no longer listed as expired" "$(cat "$T/expired")" ""
reqb POST /dids/resurrect 'nope'
ok "a body that is not JSON: 400 ValueError" error_is 400 ValueError
reqb POST /dids/resurrect '{"scope": "data"}'
ok "a body that is not a list: 400 InvalidObject" error_is 400 InvalidObject

# --- the undertaker ---
f() { echo "{\"scope\": \"data\", \"name\": \"$1\"}"; }
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "u1", "bytes": 10, "adler32": "0000000a"}, {"scope": "data", "name": "u2", "bytes": 20, "adler32": "00000014"}, {"scope": "data", "name": "uf", "bytes": 5, "adler32": "00000005"}, {"scope": "data", "name": "ug", "bytes": 7, "adler32": "00000007"}]}'
reqb POST /dids/data/ucont '{"type": "CONTAINER"}'
reqb POST /dids/data/uds "{\"type\": \"DATASET\", \"lifetime\": 1, \"meta\": {\"color\": \"blue\"}, \"dids\": [$(f u1), $(f u2)]}"
reqb POST /dids/data/ucont/dids "{\"dids\": [$(f uds)]}"
reqb POST /dids/data/keep "{\"type\": \"DATASET\", \"dids\": [$(f uf), $(f ug)]}"
reqb PUT /dids/data/keep/status '{"open": false}'
reqb POST /dids/data/uf/meta/lifetime '{"value": 1}'
is "an expiring dataset in a container, an expiring file in a closed dataset" "$STATUS" 201
req GET /dids/data/uf/meta
ok "... (the file's expiry shows in its metadata)" matches "$(json .expired_at)" ' UTC$'
sleep 2.1
"$B/gridrest-db" expired | cut -f1 | sort | paste -sd' ' >"$T/expired"
is "... both expired" "$(cat "$T/expired")" "data:uds data:uf"
"$B/gridrest-db" undertaker >"$T/undertaker"
is "gridrest-db undertaker: one collection deleted, one file's expiry lifted" "$(cat "$T/undertaker")" \
    "1 expired collections deleted, the expiry of 1 files lifted"
req GET /dids/data/uds
ok "the expired dataset is gone: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
req GET /dids/data/ucont/dids
is "... out of its container" "$STATUS $(cat "$T/body")" "200 "
req GET /dids/data/ucont/dids/history
is "... which keeps it in its history" "$(jq -r .name "$T/body")" uds
req GET /dids/data/u1
is "... its files stay (their replicas are a reaper's)" "$STATUS" 200
req GET /dids/data/u1/parents
is "... without the dataset as a parent" "$STATUS $(cat "$T/body")" "200 "
req GET '/dids/data/dids/search?color=blue'
is "... and its metadata no longer finds it" "$STATUS $(cat "$T/body")" "200 "
req GET /dids/data/uf/meta
is "the expired file stays, without expiry" "$STATUS $(json .expired_at)" "200 null"
req GET /dids/data/keep/dids
is "... out of its dataset" "$(jq -r .name "$T/body")" ug
req GET /dids/data/keep
is "... whose figures follow" "$(json '"\(.length) \(.bytes)"')" "1 7"
"$B/gridrest-db" expired >"$T/expired"
is "nothing is expired any more" "$(cat "$T/expired")" ""
"$B/gridrest-db" undertaker >"$T/undertaker"
is "a second sweep finds nothing" "$(cat "$T/undertaker")" "0 expired collections deleted, the expiry of 0 files lifted"
reqb POST /dids/data/uds '{"type": "DATASET"}'
ok "the deleted dataset's name cannot be reused: 406" error_is 406 DatabaseException
ok "... saying so" matches "$(header ExceptionMessage)" "deleted DID uds with scope data is reused"
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "uds", "bytes": 1, "adler32": "00000001"}]}'
ok "... not even by a file: 406" error_is 406 DatabaseException
req GET /dids/data/uds
ok "... and nothing was made" error_is 404 DataIdentifierNotFound
reqb POST /dids/resurrect "[$(f uds)]"
is "resurrect the deleted dataset: 201" "$STATUS" 201
req GET /dids/data/uds
is "... it is back, open, without expiry" "$STATUS $(json '"\(.type) \(.open) \(.expired_at)"')" "200 DATASET true null"
req GET "/dids/data/uds/meta?plugin=ALL"
is "... with its metadata" "$(json .color)" blue
req GET /dids/data/uds/dids
is "... and empty (its contents went with it)" "$STATUS $(cat "$T/body")" "200 "
reqb POST /dids/resurrect "[$(f uds)]"
ok "resurrecting it again: 404 (neither deleted nor expired)" error_is 404 DataIdentifierNotFound
reqb POST /dids/data/uds '{"type": "DATASET"}'
ok "its name is taken again: 409 DataIdentifierAlreadyExists" error_is 409 DataIdentifierAlreadyExists

"$B/gridrest-db" verify >"$T/verify" 2>&1
ok "the store verifies (every index entry)" [ $? -eq 0 ]

# --- the backends' own sweep ---
server_stop
export GRIDREST_UNDERTAKER_INTERVAL=1
server_start
reqb POST /dids/data/brief '{"type": "DATASET", "lifetime": 1}'
is "a dataset with a second to live" "$STATUS" 201
i=0
while [ $i -lt 40 ]; do
	sleep 0.25
	req GET /dids/data/brief
	[ "$STATUS" = 404 ] && break
	i=$((i + 1))
done
ok "the dids backends delete it by themselves, within seconds" error_is 404 DataIdentifierNotFound
grep -q 'undertaker: 1 expired collections deleted' "$GRIDREST_HOME/log/error.log"
ok "... and log it" [ $? -eq 0 ]
