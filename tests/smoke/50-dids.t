#!/bin/sh
# 50-dids.t -- datasets and containers: creation, the DID view (stored and
# dynamic figures), attaching with every containment rule, the content
# listing, closing and reopening, POST /dids/attachments, the replica
# listing of a collection, rights, and 8 clients attaching to one dataset.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN

reqb POST /scopes/root/data ''
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
reqb POST /scopes/jdoe/user.jdoe ''
reqb POST /rses/MOCK '{}'
reqb POST /rses/MOCK/protocols/root '{"hostname": "h", "port": 1094, "prefix": "/p", "impl": "x", "domains": {"wan": {"read": 1, "write": 1, "delete": 1}}}'
reqb POST /replicas "{\"rse\": \"MOCK\", \"files\": [$(seq 1 6 | sed 's/.*/{"scope":"data","name":"f&","bytes":&0,"adler32":"0000000&"}/' | paste -sd,)]}"
is "six files registered: 201" "$STATUS" 201
user=$("$B/gridrest-db" token jdoe)

# --- creation ---
reqb POST /dids/data/ds1 '{"type": "DATASET", "meta": {"project": "p1"}, "lifetime": 3600, "statuses": {"monotonic": true}}'
is "create a dataset: 201" "$STATUS" 201
req GET /dids/data/ds1
is "... its view: open, monotonic, no figures while open" \
    "$(json -c '[.scope, .name, .type, .account, .open, .monotonic, .length, .bytes]')" \
    '["data","ds1","DATASET","root",true,true,null,null]'
ok "... expired_at from the lifetime, RFC 1123" matches "$(json .expired_at)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} UTC$'
reqb POST /dids/data/ds1 '{"type": "DATASET"}'
ok "the same name again: 409 DataIdentifierAlreadyExists" error_is 409 DataIdentifierAlreadyExists
reqb POST /dids/data/f1 '{"type": "CONTAINER"}'
ok "... also across types (a file's name): 409 DataIdentifierAlreadyExists" error_is 409 DataIdentifierAlreadyExists
reqb POST /dids/data/x '{"type": "FILE"}'
ok "type FILE: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /dids/data/x '{"type": "BAG"}'
ok "an unknown type: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/data/x '{}'
ok "no type: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/nope/x '{"type": "DATASET"}'
ok "an unknown scope: 404 ScopeNotFound" error_is 404 ScopeNotFound
reqb POST /dids/data/.x '{"type": "DATASET"}'
ok "a bad name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/data/x '{"type": "DATASET", "meta": {"bytes": 1}}'
ok "a reserved metadata key: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /dids/data/x '{"type": "DATASET", "lifetime": "long"}'
ok "a lifetime that is not a number: 400 InvalidObject" error_is 400 InvalidObject
req GET /dids/data/x
ok "... and none of those was created: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
TOKEN=$user
reqb POST /dids/data/y '{"type": "DATASET"}'
ok "a user in another's scope: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /dids/user.jdoe/mine '{"type": "DATASET"}'
is "a user in its own scope: 201" "$STATUS" 201
req GET /dids/user.jdoe/mine
is "... owned by the user" "$(json .account)" jdoe
TOKEN=$root

# --- bulk ---
reqb POST /dids/ '[{"scope": "data", "name": "b1", "type": "DATASET"}, {"scope": "data", "name": "b2", "type": "CONTAINER", "dids": [{"scope": "data", "name": "b1"}]}]'
is "POST /dids/: two collections, the second holding the first: 201" "$STATUS" 201
req GET /dids/data/b2/dids
is "... attached" "$(json -c '[.name, .type]')" '["b1","DATASET"]'
reqb POST /dids '[{"scope": "data", "name": "b3", "type": "DATASET"}, {"scope": "data", "name": "b1", "type": "DATASET"}]'
ok "one that exists: 409 DataIdentifierAlreadyExists" error_is 409 DataIdentifierAlreadyExists
req GET /dids/data/b3
ok "... and the other was not created" error_is 404 DataIdentifierNotFound
reqb POST /dids '[{"scope": "data", "name": "b4", "type": "DATASET", "account": "jdoe"}, {"scope": "data", "name": "b5", "type": "CONTAINER", "account": "jdoe", "meta": {"project": "p5"}}, {"scope": "data", "name": "b6", "type": "DATASET", "account": "root"}]'
is "root for another account (seed 001's example): 201" "$STATUS" 201
req GET /dids/data/b4
is "... the dataset is owned by that account" "$(json -c '[.type, .account]')" '["DATASET","jdoe"]'
req GET /dids/data/b5
is "... the container too (the record built with metadata)" "$(json -c '[.type, .account]')" '["CONTAINER","jdoe"]'
req GET /dids/data/b6
is "... and its own account named is its own" "$(json .account)" root
reqb POST /dids '[{"scope": "data", "name": "b7", "type": "DATASET", "account": "nobody"}]'
ok "an unknown account: 404 AccountNotFound" error_is 404 AccountNotFound
reqb POST /dids '[{"scope": "data", "name": "b7", "type": "DATASET", "account": 7}]'
ok "an account that is not a name: 400 InvalidObject" error_is 400 InvalidObject
req GET /dids/data/b7
ok "... neither created b7" error_is 404 DataIdentifierNotFound
TOKEN=$user
reqb POST /dids '[{"scope": "user.jdoe", "name": "u1", "type": "DATASET", "account": "jdoe"}]'
is "a user naming itself in its own scope: 201" "$STATUS" 201
reqb POST /dids '[{"scope": "user.jdoe", "name": "u2", "type": "DATASET", "account": "root"}]'
ok "a user for another account, even in its own scope: 401 AccessDenied" error_is 401 AccessDenied
req GET /dids/user.jdoe/u2
ok "... not created" error_is 404 DataIdentifierNotFound
req GET /dids/user.jdoe/u1
is "... the first owned by the user" "$(json .account)" jdoe
TOKEN=$root
reqb POST /dids '[]'
ok "an empty list: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids '{"scope": "data"}'
ok "not a list: 400 InvalidObject" error_is 400 InvalidObject
reqb DELETE /dids/data/b2/dids '{"dids": [{"scope": "data", "name": "b1"}]}'

# --- attaching ---
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f1", "bytes": 10}, {"scope": "data", "name": "f2", "adler32": "00000002"}]}'
is "attach two files (matching values): 201" "$STATUS" 201
req GET /dids/data/ds1/dids
is "contents: the files with their figures" "$(jq -sc 'map([.name, .type, .bytes, .adler32])' "$T/body")" '[["f1","FILE",10,"00000001"],["f2","FILE",20,"00000002"]]'
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f1"}]}'
ok "a file attached already: 409 FileAlreadyExists" error_is 409 FileAlreadyExists
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f3", "bytes": 31}]}'
ok "bytes that do not match: 412 FileConsistencyMismatch" error_is 412 FileConsistencyMismatch
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f4"}, {"scope": "data", "name": "nope"}]}'
ok "an unknown child: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
req GET /dids/data/ds1/dids
is "... and f4 of that request was not attached" "$(jq -sc 'map(.name)' "$T/body")" '["f1","f2"]'
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "ds1"}]}'
ok "a dataset in itself: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /dids/data/ds2 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f3"}, {"scope": "data", "name": "f4"}]}'
is "a dataset created with content: 201" "$STATUS" 201
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "ds2"}]}'
ok "a dataset in a dataset: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /dids/data/f1/dids '{"dids": [{"scope": "data", "name": "f2"}]}'
ok "attach to a file: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /dids/data/nope/dids '{"dids": [{"scope": "data", "name": "f2"}]}'
ok "attach to an unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "r1", "bytes": 7, "adler32": "00000007"}], "rse": "NOSUCH"}'
ok "attach with an unknown rse: 404 RSENotFound" error_is 404 RSENotFound
req GET /dids/data/r1
ok "... nothing registered" error_is 404 DataIdentifierNotFound
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "r1"}], "rse": "MOCK"}'
ok "attach with rse, a new file without bytes: 400" [ "$STATUS" = 400 ]
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "r1", "bytes": 7, "adler32": "00000007"}], "rse": 5}'
ok "attach with an rse that is not a name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /dids/data/dsr '{"type": "DATASET", "rse": "MOCK", "dids": [{"scope": "data", "name": "r1", "bytes": 7, "adler32": "00000007"}]}'
is "create a dataset with rse: the new file registered and attached, 201" "$STATUS" 201
req GET /replicas/data/r1
is "... its replica is on MOCK" "$(json -c '[.name, .bytes, (.rses | keys)]')" '["r1",7,["MOCK"]]'
req GET /dids/data/dsr/dids
is "... and it is in the dataset" "$(json -r .name)" r1
reqb POST /dids/data/dsr/dids '{"dids": [{"scope": "data", "name": "r2", "bytes": 8, "adler32": "00000008"}], "rse": "MOCK"}'
is "attach with rse: 201" "$STATUS" 201
req GET /replicas/data/r2
is "... registered on MOCK" "$(json -c '[.name, (.rses | keys)]')" '["r2",["MOCK"]]'
reqb POST /dids/attachments '[{"scope": "data", "name": "dsr", "rse": "MOCK", "dids": [{"scope": "data", "name": "r3", "bytes": 9, "adler32": "00000009"}]}]'
req GET /dids/data/dsr/dids
is "POST /dids/attachments with rse" "$STATUS $(json -r .name | sort | paste -sd' ')" "200 r1 r2 r3"
reqb POST /dids/data/ds1/dids '{}'
ok "no dids: 400 KeyError" error_is 400 KeyError
TOKEN=$user
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f5"}]}'
ok "a user attaching to another's dataset: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root

reqb POST /dids/data/c1 '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "ds2"}]}'
is "a container of two datasets: 201" "$STATUS" 201
reqb POST /dids/data/c1/dids '{"dids": [{"scope": "data", "name": "f6"}]}'
ok "a file in a container: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /dids/data/c1/dids '{"dids": [{"scope": "data", "name": "ds1"}]}'
ok "a dataset attached already: 409 DuplicateContent" error_is 409 DuplicateContent
reqb POST /dids/data/c2 '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "c1"}]}'
reqb POST /dids/data/c3 '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "c2"}]}'
is "containers in containers: 201" "$STATUS" 201
reqb POST /dids/data/c1/dids '{"dids": [{"scope": "data", "name": "c3"}]}'
ok "a cycle (c3 > c2 > c1 > c3): 409 UnsupportedOperation" error_is 409 UnsupportedOperation
ok "... named as such" matches "$(json .ExceptionMessage)" 'Circular'
reqb POST /dids/data/ds3 '{"type": "DATASET"}'
reqb POST /dids/data/c4 '{"type": "CONTAINER"}'
reqb POST /dids/data/c5 '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "ds3"}, {"scope": "data", "name": "c4"}]}'
ok "datasets and containers in one call: 409 UnsupportedOperation" error_is 409 UnsupportedOperation

reqb POST /dids/attachments '{"attachments": [{"scope": "data", "name": "ds3", "dids": [{"scope": "data", "name": "f5"}, {"scope": "data", "name": "f6"}]}, {"scope": "data", "name": "ds2", "dids": [{"scope": "data", "name": "f4"}, {"scope": "data", "name": "f5"}]}], "ignore_duplicate": true}'
is "POST /dids/attachments with ignore_duplicate: 201" "$STATUS" 201
req GET /dids/data/ds2/dids
is "... f4 was there, f5 joins" "$(jq -sc 'map(.name)' "$T/body")" '["f3","f4","f5"]'
reqb POST /dids/attachments '[{"scope": "data", "name": "ds3", "dids": [{"scope": "data", "name": "f1"}]}]'
is "... the list form: 201" "$STATUS" 201
reqb POST /dids/attachments '[{"scope": "data", "name": "ds3", "dids": [{"scope": "data", "name": "f1"}]}]'
ok "... a duplicate without ignore_duplicate: 409 FileAlreadyExists" error_is 409 FileAlreadyExists
reqb POST /dids/attachments '"x"'
ok "... a body of the wrong type: 400 TypeError" error_is 400 TypeError

# --- figures ---
req GET '/dids/data/c3?dynamic_depth=FILE'
is "c3, dynamic FILE: every file below (f1 f2 | f3 f4 f5)" "$(json -c '[.length, .bytes]')" '[5,150]'
req GET '/dids/data/ds2?dynamic=1'
is "ds2, dynamic: its files" "$(json -c '[.length, .bytes]')" '[3,120]'
req GET '/dids/data/c1?dynamic_depth=DATASET'
is "c1, dynamic DATASET: the datasets' stored figures (open: none)" "$(json -c '[.length, .bytes]')" '[0,0]'
req GET '/dids/data/c1?dynamic_depth=ALL'
ok "an unknown dynamic_depth: 400 InvalidObject" error_is 400 InvalidObject

# --- status ---
reqb PUT /dids/data/ds2/status '{"open": false}'
is "close ds2: 200" "$STATUS" 200
req GET /dids/data/ds2/status
is "... closed, with its figures" "$(json -c '[.open, .length, .bytes]')" '[false,3,120]'
reqb PUT /dids/data/ds2/status '{"open": false}'
ok "close it again: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /dids/data/ds2/dids '{"dids": [{"scope": "data", "name": "f6"}]}'
ok "attach to a closed dataset: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
req GET '/dids/data/c1?dynamic_depth=DATASET'
is "c1, dynamic DATASET: ds2's stored figures now count" "$(json -c '[.length, .bytes]')" '[3,120]'
reqb PUT /dids/data/ds2/status '{"open": true}'
is "reopen: 200" "$STATUS" 200
reqb PUT /dids/data/f1/status '{"open": false}'
ok "a file's status: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb PUT /dids/data/ds2/status '{"frozen": true}'
ok "another status key: 409 UnsupportedStatus" error_is 409 UnsupportedStatus
req GET /dids/data/f1
is "a file's view" "$(json -c '[.type, .bytes, .length, .adler32, .md5]')" '["FILE",10,1,"00000001",null]'

# --- the replica listing of collections ---
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "c3"}]}'
is "replicas of c3: the five files below, each with its PFN" "$(jq -sc 'map([.name, .bytes, (.rses.MOCK | length)])' "$T/body")" \
    '[["f1",10,1],["f2",20,1],["f3",30,1],["f4",40,1],["f5",50,1]]'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}, {"scope": "data", "name": "f5"}], "resolve_parents": true}'
is "resolve_parents: every ancestor, each once" "$(jq -sc 'map(.parents | sort)' "$T/body")" \
    '[["data:c1","data:c2","data:c3","data:ds1","data:ds3"],["data:c1","data:c2","data:c3","data:ds2","data:ds3"]]'
# a child whose name starts another's: f1 vs f10
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "f10", "bytes": 1}]}'
reqb POST /dids/data/only10 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f10"}]}'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "resolve_parents": true}'
is "... f10's parent is not f1's" "$(jq -c '.parents | sort' "$T/body")" '["data:c1","data:c2","data:c3","data:ds1","data:ds3"]'
reqb POST /dids/data/empty '{"type": "DATASET"}'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "empty"}]}'
is "replicas of an empty dataset: nothing" "$(cat "$T/body")" ""

# --- dataset replicas, from the file replicas ---
reqb POST /rses/OTHER '{}'
reqb POST /replicas '{"rse": "OTHER", "files": [{"scope": "data", "name": "f3"}]}'
req GET /replicas/data/ds2/datasets
is "ds2's replicas: complete on MOCK, one of three files on OTHER" \
    "$(jq -sc 'sort_by(.rse) | map([.rse, .length, .bytes, .available_length, .available_bytes, .state])' "$T/body")" \
    '[["MOCK",3,120,3,120,"AVAILABLE"],["OTHER",3,120,1,30,"UNAVAILABLE"]]'
req GET /replicas/data/c1/datasets
is "a container without deep: nothing" "$(cat "$T/body")" ""
req GET '/replicas/data/c1/datasets?deep=true'
is "... with deep: its datasets' replicas" "$(jq -sc 'map(.name + "@" + .rse) | sort' "$T/body")" '["ds1@MOCK","ds2@MOCK","ds2@OTHER"]'
req GET /replicas/data/nothing/datasets
ok "an unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
reqb POST /replicas/datasets_bulk '{"dids": [{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "nothing"}]}'
is "datasets_bulk: the known ones" "$(jq -sc 'map(.name)' "$T/body")" '["ds1"]'
reqb POST /replicas/datasets_bulk '{"dids": []}'
ok "datasets_bulk without dids: 400 InvalidObject" error_is 400 InvalidObject

# --- parents, files, detach, history ---
req GET /dids/data/f1/parents
is "f1's parents (not only10's: f10 only starts the same)" "$(jq -sc 'map([.name, .type]) | sort' "$T/body")" '[["ds1","DATASET"],["ds3","DATASET"]]'
req GET /dids/data/ds1/parents
is "ds1's parents" "$(jq -sc 'map(.name)' "$T/body")" '["c1"]'
req GET /dids/data/nothing/parents
ok "parents of an unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
req GET /dids/data/c3/files
is "files below c3" "$(jq -sc 'map([.name, .bytes, .adler32])' "$T/body")" \
    '[["f1",10,"00000001"],["f2",20,"00000002"],["f3",30,"00000003"],["f4",40,"00000004"],["f5",50,"00000005"]]'
req GET '/dids/data/f1/files?long=1'
is "a file's files: itself (long adds lumiblocknr)" "$(json -c '[.name, .bytes, .guid, .events, .lumiblocknr]')" '["f1",10,null,null,null]'
reqb PUT /dids/data/ds2/status '{"open": false}'
reqb DELETE /dids/data/ds2/dids '{"dids": [{"scope": "data", "name": "f3"}]}'
is "detach f3 from the closed ds2: 200" "$STATUS" 200
req GET /dids/data/ds2
is "... its stored figures follow" "$(json -c '[.length, .bytes]')" '[2,90]'
req GET /dids/data/ds2/dids/history
is "... the history holds f3" "$(jq -sc 'map([.name, .type, .bytes])' "$T/body")" '[["f3","FILE",30]]'
ok "... with its deleted_at" matches "$(jq -r '.deleted_at' "$T/body")" 'UTC$'
reqb DELETE /dids/data/ds2/dids '{"dids": [{"scope": "data", "name": "f3"}]}'
ok "detach it again: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
reqb DELETE /dids/data/ds2/dids '{"dids": [{"scope": "data", "name": "ds2"}]}'
ok "self-detach: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb DELETE /dids/data/f1/dids '{"dids": [{"scope": "data", "name": "f2"}]}'
ok "detach from a file: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
reqb DELETE /dids/data/c1/dids '{"dids": [{"scope": "data", "name": "ds2"}, {"scope": "data", "name": "ds3"}]}'
ok "one child not attached: 404" error_is 404 DataIdentifierNotFound
req GET /dids/data/c1/dids
is "... and the other stays (all or nothing)" "$(jq -sc 'map(.name)' "$T/body")" '["ds1","ds2"]'
TOKEN=$user
reqb DELETE /dids/data/c1/dids '{"dids": [{"scope": "data", "name": "ds2"}]}'
ok "a user detaching from another's: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
reqb PUT /dids/data/ds2/status '{"open": true}'

# --- files by guid ---
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "g1", "bytes": 1, "meta": {"guid": "2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e6f"}}]}'
reqb POST /dids/data/gds '{"type": "DATASET", "dids": [{"scope": "data", "name": "g1"}]}'
req GET /dids/2E3A0B0E8E9A4D1B9C6A1A2B3C4D5E6F/guid
is "GET /dids/{guid}/guid (any UUID form): the datasets holding the file" "$(jq -sc . "$T/body")" '[{"scope":"data","name":"gds"}]'
req GET /dids/00000000-0000-0000-0000-000000000000/guid
ok "an unknown guid: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
req GET /dids/xyz/guid
ok "not a guid: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
req GET /dids/data/g1/files
is "its files entry shows the guid upper-cased" "$(json .guid)" 2E3A0B0E-8E9A-4D1B-9C6A-1A2B3C4D5E6F
reqb DELETE /dids/data/gds/dids '{"dids": [{"scope": "data", "name": "g1"}]}'

# --- metadata ---
req GET /dids/data/ds1/meta
is "DID_COLUMN (default): the row" "$(json -c '[.scope, .name, .account, .did_type, .is_open, .project, .availability, .purge_replicas, .hidden]')" \
    '["data","ds1","root","DATASET",true,"p1","AVAILABLE",true,false]'
ok "... dates in RFC 1123" matches "$(json -r .created_at)" 'UTC$'
reqb POST /dids/data/ds1/meta/color '{"value": "blue"}'
is "set a custom key: 201" "$STATUS" 201
reqb POST /dids/data/ds1/meta '{"meta": {"run_number": 7, "size": 2.5, "tags": ["a", "b"]}, "recursive": true}'
is "set several (recursive): 201" "$STATUS" 201
req GET '/dids/data/ds1/meta?plugin=JSON'
is "JSON plugin: the custom keys, types kept" "$(json -S -c .)" '{"color":"blue","size":2.5,"tags":["a","b"]}'
req GET '/dids/data/ds1/meta?plugin=ALL'
is "ALL: columns and custom keys" "$(json -c '[.run_number, .color, .did_type]')" '[7,"blue","DATASET"]'
req GET /dids/data/f1/meta
is "recursive put the column key on the children" "$(json .run_number)" 7
req GET '/dids/data/f1/meta?plugin=JSON'
is "... but not the custom ones" "$(json -c .)" '{}'
req GET '/dids/data/ds1/meta?plugin=XML'
ok "an unknown plugin: 400 UnsupportedMetadataPlugin" error_is 400 UnsupportedMetadataPlugin
reqb POST /dids/data/ds1/meta/bytes '{"value": 1}'
ok "a reserved key: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /dids/data/ds1/meta/a.b '{"value": 1}'
ok "a key with a dot: 400 InvalidMetadata" error_is 400 InvalidMetadata
reqb POST /dids/data/ds1/meta/run_number '{"value": "seven"}'
ok "a column value of the wrong type: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb POST /dids/data/ds1/meta/color '{}'
ok "no value: 400 KeyError" error_is 400 KeyError
# limits: Rucio's column sizes, 4000 bytes of a custom value as JSON
big=$(head -c 4001 /dev/zero | tr '\0' x)
reqb POST /dids/data/ds1/meta/note "{\"value\": \"${big#xxx}\"}"
is "a custom value of 4000 bytes as JSON: 201" "$STATUS" 201
reqb POST /dids/data/ds1/meta/note "{\"value\": \"${big#xx}\"}"
ok "... of 4001: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
is "... saying the limit" "$(json .ExceptionMessage)" \
    "The value of the metadata key 'note' has at most 4000 bytes as JSON"
reqb POST /dids/data/ds1/meta '{"meta": {"deep": {"a": ["'"$big"'"]}}}'
ok "... nested in a custom value: 400 InvalidValueForKey" \
    error_is 400 InvalidValueForKey
req GET '/dids/data/ds1/meta?plugin=JSON'
is "... the first kept, nothing of the others" \
    "$(json -c '[(.note | length), .deep]')" '[3998,null]'
req DELETE '/dids/data/ds1/meta?key=note'
reqb POST /dids/data/ds1/meta/campaign '{"value": "'"$(head -c 51 /dev/zero | tr '\0' c)"'"}'
ok "campaign of 51 characters (Rucio's String(50)): 400 InvalidValueForKey" \
    error_is 400 InvalidValueForKey
reqb POST /dids/data/ds1/meta/provenance '{"value": "abc"}'
ok "provenance of 3 (String(2)): 400" error_is 400 InvalidValueForKey
reqb POST /dids/data/ds1/meta/stream_name '{"value": "'"$(head -c 35 /dev/zero | tr '\0' e)é"'"}'
is "stream_name of 36 characters, 37 bytes: 201" "$STATUS" 201
reqb POST /dids/data/ds1/meta/run_number '{"value": 2147483648}'
ok "run_number past 32 bits (Integer): 400" error_is 400 InvalidValueForKey
req GET /dids/data/ds1/meta/color
is "GET .../meta/{key}: 405" "$STATUS" 405
req DELETE '/dids/data/ds1/meta?key=color'
is "delete a custom key: 200" "$STATUS" 200
req DELETE '/dids/data/ds1/meta?key=color'
ok "... again: 404 KeyNotFound" error_is 404 KeyNotFound
req DELETE '/dids/data/ds1/meta?key=project'
ok "a column: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
req DELETE /dids/data/ds1/meta
ok "no key: 404 KeyNotFound" error_is 404 KeyNotFound
reqb POST /dids/bulkdidsmeta '{"dids": [{"scope": "data", "name": "ds2", "meta": {"campaign": "c7"}}, {"scope": "data", "name": "ds3", "meta": {"mc": true}}]}'
is "bulkdidsmeta: 201" "$STATUS" 201
req GET '/dids/data/ds3/meta?plugin=ALL'
is "... stored" "$(json -c '[.mc]')" '[true]'
reqb POST /dids/bulkdidsmeta '{"dids": [{"scope": "data", "name": "ds2", "meta": {"campaign": "c8"}}, {"scope": "data", "name": "nothing", "meta": {"x": 1}}]}'
ok "... one unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
req GET /dids/data/ds2/meta
is "... and nothing of it was set" "$(json .campaign)" c7
TOKEN=$user
reqb POST /dids/data/ds1/meta/color '{"value": "red"}'
ok "a user on another's DID: 401 AccessDenied" error_is 401 AccessDenied
req GET /dids/data/ds1/meta
is "... reads it: 200" "$STATUS" 200
TOKEN=$root

# --- bulkfiles ---
reqb POST /dids/bulkfiles '{"dids": [{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "nothing"}, {"scope": "data", "name": "f6"}]}'
is "bulkfiles: the files below each, with their parent; unknown ones skipped" \
    "$(jq -sc 'map([.name, .parent_name, .bytes])' "$T/body")" '[["f1","ds1",10],["f2","ds1",20],["f6","f6",60]]'
reqb POST /dids/bulkfiles '{"dids": "x"}'
ok "dids not a list: 400 InvalidObject" error_is 400 InvalidObject

# --- rules on DIDs (an empty stream until rules exist) ---
req GET /dids/data/ds1/rules
is "GET .../rules: 200, an empty stream" "$STATUS/$(wc -c <"$T/body")/$(header Content-Type)" "200/0/application/x-json-stream"
req GET /dids/data/f1/associated_rules
is "GET .../associated_rules: 200, an empty stream" "$STATUS/$(wc -c <"$T/body")" "200/0"
req GET /dids/data/nothing/rules
ok "... of an unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound

# --- listing a scope ---
req GET /dids/data/
is "GET /dids/data/: the DIDs no DID of the scope contains, by name (f3 and g1 were detached; dsr holds r1-r3)" \
    "$(jq -sc 'map(.name)' "$T/body")" '["b1","b2","b4","b5","b6","c3","c4","ds3","dsr","empty","f3","g1","gds","only10"]'
is "... top-level entries" "$(jq -sc '.[6] | [.type, .parent, .level]' "$T/body")" '["CONTAINER",null,0]'
is "... with bytes" "$(jq -sc '.[10] | [.name, .bytes]' "$T/body")" '["f3",30]'
req GET '/dids/data/?name=c3'
is "?name=c3: its children" "$(jq -sc 'map([.name, .level, .parent.name])' "$T/body")" '[["c2",1,"c3"]]'
req GET '/dids/data/?name=c3&recursive=true'
is "... recursive: everything below, depth first" "$(jq -sc 'map([.name, .level])' "$T/body")" \
    '[["c2",1],["c1",2],["ds1",3],["f1",4],["f2",4],["ds2",3],["f4",4],["f5",4]]'
req GET '/dids/data/?name=nothing'
ok "?name of an unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
req GET /dids/nope/
ok "an unknown scope: 404 ScopeNotFound" error_is 404 ScopeNotFound

# --- 8 clients x 500 attaches to one dataset ---
reqb POST /dids/data/big '{"type": "DATASET"}'
i=0
while [ $i -lt 8 ]; do
	seq 0 99 | sed "s/.*/{\"scope\":\"data\",\"name\":\"c$i.&\",\"bytes\":1}/" | paste -sd, >"$T/files"
	j=0
	while [ $j -lt 5 ]; do
		reqb POST /replicas "{\"rse\": \"MOCK\", \"files\": [$(sed "s/\"c$i\./\"c$i.$j./g" "$T/files")]}"
		j=$((j + 1))
	done
	i=$((i + 1))
done
is "4000 files registered" "$STATUS" 201
# one curl per client sends its 500 requests (a config with "next")
c=0
while [ $c -lt 8 ]; do
	j=0
	while [ $j -lt 5 ]; do
		k=0
		while [ $k -lt 100 ]; do
			[ $j$k = 00 ] || echo next
			printf 'url = "%s/dids/data/big/dids"\n' "$BASE"
			printf 'data-binary = "{\\"dids\\": [{\\"scope\\": \\"data\\", \\"name\\": \\"c%s.%s.%s\\"}]}"\n' "$c" "$j" "$k"
			printf 'header = "X-Rucio-Auth-Token: %s"\n' "$root"
			# options do not outlive "next": the socket each time
			[ -z "$VIA" ] || printf 'unix-socket = "%s"\n' "$VIA"
			printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
			k=$((k + 1))
		done
		j=$((j + 1))
	done >"$T/attcfg.$c"
	c=$((c + 1))
done
pids=
c=0
while [ $c -lt 8 ]; do
	curl -s -K "$T/attcfg.$c" >"$T/att.$c" &
	pids="$pids $!"
	c=$((c + 1))
done
# shellcheck disable=SC2086 # the list of pids
wait $pids
is "8 clients x 500 attaches: all 201" "$(cat "$T"/att.* | sort | uniq -c | sed 's/^ *//')" "4000 201"
req GET /dids/data/big/dids
is "... exactly 4000 children" "$(wc -l <"$T/body")" 4000
reqb PUT /dids/data/big/status '{"open": false}'
req GET /dids/data/big
is "... length and bytes exact after close" "$(json -c '[.length, .bytes]')" '[4000,4000]'
"$B/gridrest-db" verify >"$T/verify" 2>&1
ok "... and the store verifies (every index entry)" [ $? -eq 0 ]
