#!/bin/sh
# 43-replicas.t -- file replicas: registration (which creates the files),
# PFN rules of deterministic and non-deterministic RSEs, availability,
# permissions, all-or-nothing batches, listing (states, expressions,
# schemes, domains, Metalink), state changes, PFN -> DID, the usage
# counter and its history, and an RSE that holds replicas staying.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN

# the RSEs: MOCK (open to users), SITE_DISK (admins only), a
# non-deterministic TAPE_ND, a volatile CACHE and a read-only RO_DISK
reqb POST /rses/MOCK '{}'
reqb POST /rses/SITE_DISK '{}'
reqb POST /rses/TAPE_ND '{"deterministic": false, "rse_type": "TAPE"}'
reqb POST /rses/CACHE '{"volatile": true}'
reqb POST /rses/RO_DISK '{"availability_write": false}'
for r in MOCK SITE_DISK TAPE_ND RO_DISK; do
	reqb POST "/rses/$r/protocols/root" "{\"hostname\": \"$r.example.org\", \"port\": 1094, \"prefix\": \"/data\", \"impl\": \"xrootd\", \"domains\": {\"wan\": {\"read\": 1, \"write\": 1, \"delete\": 1}, \"lan\": {\"read\": 1, \"write\": 1, \"delete\": 1}}}"
done
reqb POST /rses/MOCK/protocols/https '{"hostname": "web.example.org", "port": 443, "prefix": "store/", "impl": "webdav", "domains": {"wan": {"read": 2, "write": 2, "delete": 2}, "lan": {"read": 0, "write": 0, "delete": 0}}}'
reqb POST /rses/MOCK/attr/tier '{"value": 1}'
reqb POST /scopes/root/data ''
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
reqb POST /scopes/jdoe/user.jdoe ''
is "RSEs, protocols, scopes: 201" "$STATUS" 201
user=$("$B/gridrest-db" token jdoe)

usage() {
	req GET "/rses/$1/usage?source=rucio"
	json -c '[.files, .used]'
}

# --- registration ---
reqb POST /replicas '{"rse": "MOCK", "files": [
 {"scope": "data", "name": "f1", "bytes": 100, "adler32": "0cc737eb", "md5": "d41d8cd98f00b204e9800998ecf8427e",
  "meta": {"guid": "{2E3A0B0E-8E9A-4D1B-9C6A-1A2B3C4D5E6F}", "events": 7, "campaign": "c1", "owner_note": "x"}},
 {"scope": "data", "name": "f2", "bytes": 50},
 {"scope": "data", "name": "dir/f3", "bytes": 1, "state": "U"}]}'
is "register three replicas on MOCK: 201" "$STATUS" 201
is "... body Created" "$(cat "$T/body")" Created
is "MOCK counts 3 files, 151 bytes" "$(usage MOCK)" '[3,151]'
"$B/gridrest-db" dump dids >"$T/dids" 2>&1
is "the file DID f1 holds guid (canonical), events, columns and custom meta" \
    "$(jq -c 'select(.key == ["data","f1"]) | .value | [.type, .account, .bytes, .guid, .events, .campaign, .meta.owner_note]' "$T/dids")" \
    '["FILE","root",100,"2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e6f",7,"c1","x"]'

reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "f1", "bytes": 100}, {"scope": "data", "name": "f4", "bytes": 4}]}'
is "registering again: 201, the old replica is left, the new one added" "$STATUS" 201
is "... MOCK counts 4 files, 155 bytes" "$(usage MOCK)" '[4,155]'
reqb POST /replicas '{"rse": "SITE_DISK", "files": [{"scope": "data", "name": "f1"}]}'
is "a second replica of an existing file needs no bytes: 201" "$STATUS" 201
is "... and takes the file's" "$(usage SITE_DISK)" '[1,100]'

# a replica's figures are its file's (f2: 50 bytes, no checksum)
reqb POST /rses/FIGMOCK '{}'
reqb POST /replicas '{"rse": "FIGMOCK", "files": [{"scope": "data", "name": "f2", "bytes": 999999999, "adler32": "deadbeef"}]}'
ok "a replica whose bytes disagree with its file's: 409 FileConsistencyMismatch" \
    error_is 409 FileConsistencyMismatch
is "... says which" "$(json .ExceptionMessage)" "bytes mismatch for 'data:f2': 50!=999999999"
reqb POST /replicas '{"rse": "FIGMOCK", "files": [{"scope": "data", "name": "f1", "bytes": 100, "adler32": "deadbeef"}]}'
ok "... or whose adler32 does: 409" error_is 409 FileConsistencyMismatch
reqb POST /replicas '{"rse": "FIGMOCK", "files": [{"scope": "data", "name": "f1", "md5": "d41d8cd98f00b204e9800998ecf84270"}]}'
ok "... or whose md5 does: 409" error_is 409 FileConsistencyMismatch
is "... nothing written" "$(usage FIGMOCK)" '[0,0]'
reqb POST /replicas '{"rse": "FIGMOCK", "files": [{"scope": "data", "name": "f2", "bytes": 50, "adler32": "0cc737eb"}]}'
is "agreeing figures: 201" "$STATUS" 201
is "... the RSE counts the file's bytes" "$(usage FIGMOCK)" '[1,50]'
"$B/gridrest-db" dump replicas >"$T/replicas" 2>&1
is "... and both replicas of f2 have the file's figures (no adler32)" \
    "$(jq -c 'select(.key[0] == "data" and .key[1] == "f2") | .value | [.bytes, .adler32]' "$T/replicas" | sort -u | tr '\n' ' ')" \
    '[50,null] '

reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "g1", "bytes": 1}, {"scope": "data", "name": "g1", "bytes": 1}]}'
ok "one file twice in a request: 409 Duplicate" error_is 409 Duplicate
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "nope", "name": "g1", "bytes": 1}]}'
ok "unknown scope: 404 ScopeNotFound" error_is 404 ScopeNotFound
reqb POST /replicas '{"rse": "NOPE", "files": [{"scope": "data", "name": "g1", "bytes": 1}]}'
ok "unknown RSE: 404 RSENotFound" error_is 404 RSENotFound
reqb POST /replicas '{"rse": "CACHE", "files": [{"scope": "data", "name": "g1", "bytes": 1}]}'
ok "volatile RSE: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /replicas '{"rse": "RO_DISK", "files": [{"scope": "data", "name": "g1", "bytes": 1}]}'
ok "RSE not writable: 503 ResourceTemporaryUnavailable" error_is 503 ResourceTemporaryUnavailable
reqb POST /replicas '{"rse": "RO_DISK", "ignore_availability": true, "files": [{"scope": "data", "name": "g1", "bytes": 1}]}'
is "... an admin may ignore availability: 201" "$STATUS" 201
reqb POST /replicas '{"rse": "TAPE_ND", "files": [{"scope": "data", "name": "g2", "bytes": 1}]}'
ok "non-deterministic RSE without pfn: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /replicas '{"rse": "TAPE_ND", "files": [{"scope": "data", "name": "g2", "bytes": 2, "pfn": "root://TAPE_ND.example.org:1094/data/run1/raw/g2.dat"}]}'
is "... with a pfn under a protocol: 201" "$STATUS" 201
reqb POST /replicas '{"rse": "TAPE_ND", "files": [{"scope": "data", "name": "g3", "bytes": 2, "pfn": "root://elsewhere:1094/data/g3"}]}'
ok "... a pfn under no protocol: 400 InvalidPath" error_is 400 InvalidPath
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "g4", "bytes": 2, "pfn": "root://MOCK.example.org:1094/data/data/00/00/g4"}]}'
ok "deterministic RSE, a pfn that is not the expected one: 400 InvalidPath" error_is 400 InvalidPath
req GET '/rses/MOCK/lfns2pfns?lfn=data:g4&scheme=root'
pfn=$(json '."data:g4"')
reqb POST /replicas "{\"rse\": \"MOCK\", \"files\": [{\"scope\": \"data\", \"name\": \"g4\", \"bytes\": 2, \"pfn\": \"$pfn\"}]}"
is "... the expected one ($pfn): 201" "$STATUS" 201

reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "h1", "bytes": 1, "guid": "x"}]}'
ok "a key the schema does not know: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "h1", "bytes": 1, "adler32": "xyz"}]}'
ok "a bad adler32: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "h1"}]}'
ok "a new file without bytes: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": ".h1", "bytes": 1}]}'
ok "a bad name: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "h1", "bytes": 1, "meta": {"guid": "nope"}}]}'
ok "a guid that is not a UUID: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb POST /replicas '{"rse": "MOCK", "files": []}'
ok "no files: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas '{"rse": "MOCK"}'
ok "files missing: 400 KeyError" error_is 400 KeyError
reqb POST /replicas '{"files": [{"scope": "data", "name": "h1", "bytes": 1}]}'
ok "rse missing: 400 KeyError" error_is 400 KeyError
reqb POST /replicas "{\"rse\": \"MOCK\", \"files\": [$(seq 1 1001 | sed 's/.*/{"scope":"data","name":"m&","bytes":1}/' | paste -sd,)]}"
ok "1001 files: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas '{"rse": "MOCK", "files": ['
ok "a body that is not JSON: 400 ValueError" error_is 400 ValueError

# all or nothing: the second file fails after the first was written
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "k1", "bytes": 9}, {"scope": "data", "name": "k2", "bytes": 9, "meta": {"bytes": 1}}]}'
ok "a reserved metadata key: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "k1"}]}'
is "... and nothing of the batch is stored" "$(cat "$T/body")" ""
is "... nor counted" "$(usage MOCK)" '[5,157]'

# permissions: users on *MOCK/*USERDISK... RSEs, new files in their scope
TOKEN=$user
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "user.jdoe", "name": "u1", "bytes": 3}]}'
is "a user registers a new file of its scope on MOCK: 201" "$STATUS" 201
reqb POST /replicas '{"rse": "SITE_DISK", "files": [{"scope": "user.jdoe", "name": "u2", "bytes": 3}]}'
ok "... on SITE_DISK: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "u3", "bytes": 3}]}'
ok "... a new file in another's scope: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /replicas '{"rse": "FIGMOCK", "files": [{"scope": "data", "name": "f1"}]}'
ok "... a replica of an existing file in another's scope: 401 AccessDenied" \
    error_is 401 AccessDenied
reqb POST /replicas '{"rse": "RO_DISK", "ignore_availability": true, "files": [{"scope": "user.jdoe", "name": "u4", "bytes": 3}]}'
ok "... ignore_availability is for admins: 401 (RO_DISK is not open) " error_is 401 AccessDenied
reqb PUT /replicas '{"rse": "MOCK", "files": [{"scope": "user.jdoe", "name": "u1", "state": "B"}]}'
ok "... state changes are for admins: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}]}'
ok "listing without a token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
TOKEN=$root

# --- listing ---
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f2"}, {"scope": "data", "name": "f1"}, {"scope": "data", "name": "nothere"}]}'
is "list two files and an unknown DID: 200" "$STATUS" 200
is "... a JSON stream" "$(header Content-Type)" application/x-json-stream
is "... the files in (scope, name) order, the unknown one absent" "$(jq -sc 'map(.name)' "$T/body")" '["f1","f2"]'
h=$(jq -sr '.[0].pfns | keys[]' "$T/body" | grep '^root://MOCK' |
    sed 's|^root://MOCK.example.org:1094/data/||')
is "f1: md5/adler32/bytes from the file" "$(jq -sc '.[0] | [.bytes, .adler32, .md5]' "$T/body")" '[100,"0cc737eb","d41d8cd98f00b204e9800998ecf8427e"]'
is "f1: its two RSEs' states" "$(jq -sSc '.[0].states' "$T/body")" '{"MOCK":"AVAILABLE","SITE_DISK":"AVAILABLE"}'
is "f1: three PFNs (two on MOCK, one on SITE_DISK), priorities 1..3" "$(jq -sc '[.[0].pfns[] | .priority] | sort' "$T/body")" '[1,2,3]'
is "f1: MOCK's PFNs in priority order" "$(jq -sc '.[0].rses.MOCK' "$T/body")" \
    "[\"root://MOCK.example.org:1094/data/$h\",\"https://web.example.org:443/store/$h\"]"
is "f1: the hash path data/<md5[0:2]>/<md5[2:4]>/f1" "$h" "data/$(printf 'data:f1' | md5sum | cut -c1-2)/$(printf 'data:f1' | md5sum | cut -c3-4)/f1"
is "f1: a PFN's details" "$(jq -sc ".[0].pfns[\"root://MOCK.example.org:1094/data/$h\"] | [.rse, .type, .volatile, .domain, .client_extract]" "$T/body")" '["MOCK","DISK",false,"wan",false]'

reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "dir/f3"}]}'
is "a file whose only replica is UNAVAILABLE: listed without PFNs" "$(jq -c '[.pfns, .rses, .states]' "$T/body")" '[{},{},null]'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "dir/f3"}], "all_states": true}'
is "... all_states shows it" "$(jq -c '.states' "$T/body")" '{"MOCK":"UNAVAILABLE"}'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "dir/f3"}], "unavailable": true}'
is "... so does unavailable" "$(jq -c '.states' "$T/body")" '{"MOCK":"UNAVAILABLE"}'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "rse_expression": "tier=1"}'
is "rse_expression tier=1: only MOCK" "$(jq -c '.states | keys' "$T/body")" '["MOCK"]'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "rse_expression": "tier="}'
ok "a bad rse_expression: 400 InvalidRSEExpression" error_is 400 InvalidRSEExpression
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "schemes": ["https"]}'
is "schemes [https]: one PFN" "$(jq -c '.pfns | keys' "$T/body")" "[\"https://web.example.org:443/store/$h\"]"
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "domain": "lan"}'
is "domain lan: the root doors only" "$(jq -c '[.pfns[] | .domain] | unique' "$T/body")" '["lan"]'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "domain": "all", "rse_expression": "MOCK"}'
is "domain all on MOCK: the root door once (lan first), https on wan" "$(jq -c '[.pfns[] | [.domain, .priority]]' "$T/body")" '[["lan",1],["wan",2]]'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "domain": "moon"}'
ok "an unknown domain: 400 InvalidObject" error_is 400 InvalidObject
reqb POST '/replicas/list?limit=1' '{"dids": [{"scope": "data", "name": "f1"}]}'
is "limit=1: one PFN" "$(jq -c '.pfns | length' "$T/body")" 1
reqb PUT /rses/SITE_DISK '{"availability_read": false}'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "ignore_availability": false}'
is "ignore_availability false: SITE_DISK (not readable) is left out" "$(jq -c '.states | keys' "$T/body")" '["MOCK"]'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}]}'
is "... also when the flag is absent (Rucio's default)" "$(jq -c '.states | keys' "$T/body")" '["MOCK"]'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "ignore_availability": true}'
is "... the client's default, true, lists it" "$(jq -c '.states | keys' "$T/body")" '["MOCK","SITE_DISK"]'
reqb PUT /rses/SITE_DISK '{"availability_read": true}'
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "g2"}]}'
is "a non-deterministic replica's PFN is its protocol plus the stored path" "$(jq -c '.rses.TAPE_ND' "$T/body")" '["root://TAPE_ND.example.org:1094/data/run1/raw/g2.dat"]'
is "... on a TAPE RSE" "$(jq -r '.pfns[].type' "$T/body")" TAPE
reqb POST /replicas/list '{"dids": "f1"}'
ok "dids not a list: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}], "all_states": "maybe"}'
ok "a flag that is not a boolean: 400 TypeError" error_is 400 TypeError

req GET '/replicas/data/dir%2Ff3?schemes=root'
is "GET /replicas/{scope}/{name} (name with %2F): 200" "$STATUS" 200
is "... the file" "$(json -c '[.scope, .name]')" '["data","dir/f3"]'
req GET /replicas/data/f1 -H 'Accept: application/metalink4+xml'
is "Metalink when asked: 200" "$STATUS" 200
is "... its content type" "$(header Content-Type)" application/metalink4+xml
ok "... a metalink document with the file's identity, size and hash" \
    grep -q '<identity>data:f1</identity>' "$T/body"
ok "... and its URLs" grep -q "<url location=\"MOCK\" domain=\"wan\" priority=\"1\" client_extract=\"false\">root://MOCK.example.org:1094/data/$h</url>" "$T/body"
is "... well-formed, 3 urls" "$(python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print(len(r.findall(".//{urn:ietf:params:xml:ns:metalink}url")))' "$T/body")" 3
req GET /replicas/data/nothere -H 'Accept: application/metalink4+xml'
is "Metalink of nothing: an empty document" "$(tr -d '\n' <"$T/body")" '<?xml version="1.0" encoding="UTF-8"?><metalink xmlns="urn:ietf:params:xml:ns:metalink"></metalink>'
req GET /replicas/data/f1 -H 'Accept: text/plain'
ok "Accept text/plain: 406" error_is 406 UnsupportedRequestedContentType

# --- state changes ---
reqb PUT /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "dir/f3", "state": "TEMPORARY_UNAVAILABLE"}]}'
ok "U -> T: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb PUT /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "dir/f3", "state": "A"}, {"scope": "data", "name": "f2", "state": "T"}]}'
is "U -> A and A -> T in one request: 200" "$STATUS" 200
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "dir/f3"}, {"scope": "data", "name": "f2"}], "all_states": true}'
is "... stored" "$(jq -sc 'map(.states.MOCK)' "$T/body")" '["AVAILABLE","TEMPORARY_UNAVAILABLE"]'
reqb PUT /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "dir/f3", "state": "B"}, {"scope": "data", "name": "zz", "state": "A"}]}'
ok "an unknown replica: 404 ReplicaNotFound" error_is 404 ReplicaNotFound
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "dir/f3"}]}'
is "... and the other change of that request is not made" "$(jq -c '.states' "$T/body")" '{"MOCK":"AVAILABLE"}'
reqb PUT /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "f2", "state": "Q"}]}'
ok "an unknown state: 400 InvalidObject" error_is 400 InvalidObject
reqb PUT /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "f2"}]}'
ok "no state: 400 KeyError" error_is 400 KeyError

# --- removal: nobody, by Rucio's generic policy ---
reqb DELETE /replicas '{"rse": "MOCK", "files": [{"scope": "data", "name": "f2"}]}'
ok "DELETE /replicas, even as root: 401 AccessDenied" error_is 401 AccessDenied

# --- PFN -> DID ---
reqb POST /replicas/dids "{\"rse\": \"MOCK\", \"pfns\": [\"root://MOCK.example.org:1094/data/$h\"]}"
is "a deterministic PFN back to its DID" "$(json -c .)" "{\"root://MOCK.example.org:1094/data/$h\":{\"scope\":\"data\",\"name\":\"f1\"}}"
reqb POST /replicas/dids '{"rse": "TAPE_ND", "pfns": ["root://TAPE_ND.example.org:1094/data/run1/raw/g2.dat"]}'
is "a stored path back to its DID" "$(json -c '.[]')" '{"scope":"data","name":"g2"}'
reqb POST /replicas/dids '{"rse": "TAPE_ND", "pfns": ["root://TAPE_ND.example.org:1094/data/run1/raw/none"]}'
ok "a PFN no replica has: 404 ReplicaNotFound" error_is 404 ReplicaNotFound
reqb POST /replicas/dids '{"rse": "MOCK", "pfns": ["root://MOCK.example.org:1094/data/data/zz/zz/f1"]}'
ok "a hash path that does not add up: 404 ReplicaNotFound" error_is 404 ReplicaNotFound

# --- usage ---
req GET /rses/MOCK/usage
is "usage: the rucio source" "$(json -c '[.rse, .source, .files, .used, .free, .total]')" '["MOCK","rucio",6,160,null,160]'
reqb PUT /rses/MOCK/usage '{"source": "storage", "used": 1000, "free": 9000}'
is "set the storage source: 200" "$STATUS" 200
req GET /rses/MOCK/usage
is "... two sources" "$(jq -sc 'map([.source, .used, .total])' "$T/body")" '[["rucio",160,160],["storage",1000,10000]]'
req GET '/rses/MOCK/usage?source=storage'
is "... one source" "$(jq -sc 'map(.source)' "$T/body")" '["storage"]'
req GET '/rses/MOCK/usage?per_account=true&source=rucio'
is "per_account: a list of account usages" "$(json -c '.account_usages')" '[]'
reqb PUT /rses/MOCK/usage '{"source": "rucio", "used": 1}'
ok "the rucio source is not set by hand: 401 AccessDenied" error_is 401 AccessDenied
reqb PUT /rses/MOCK/usage '{"source": "storage", "used": -1}'
ok "negative usage: 400 InvalidObject" error_is 400 InvalidObject
TOKEN=$user
reqb PUT /rses/MOCK/usage '{"source": "storage", "used": 1}'
ok "a user sets usage: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
req GET /rses/MOCK/usage/history
is "history: this hour's point of each source" "$(jq -sc 'map(.source) | sort' "$T/body")" '["rucio","storage"]'
is "... with the latest figures" "$(jq -sc 'map(select(.source == "rucio"))[0] | [.files, .used]' "$T/body")" '[6,160]'
req GET /rses/NOPE/usage
ok "usage of an unknown RSE: 404 RSENotFound" error_is 404 RSENotFound

# --- an RSE holding replicas stays ---
req DELETE /rses/TAPE_ND
ok "deleting an RSE that holds replicas: 404 RSEOperationNotSupported" error_is 404 RSEOperationNotSupported
req GET /rses/TAPE_ND
is "... it is still there" "$STATUS" 200
req DELETE /rses/CACHE
is "an empty one goes: 200" "$STATUS" 200

# --- the counter under concurrent writers ---
# 8 clients, each 20 batches of 25 new files on SITE_DISK
pids=
for c in 1 2 3 4 5 6 7 8; do
	(
		trap - EXIT
		i=0
		while [ $i -lt 20 ]; do
			files=$(seq 1 25 | sed "s/.*/{\"scope\":\"data\",\"name\":\"c$c.b$i.&\",\"bytes\":$c}/" | paste -sd,)
			printf '{"rse": "SITE_DISK", "files": [%s]}' "$files" |
			    curl -s ${VIA:+--unix-socket "$VIA"} -o /dev/null -w '%{http_code}\n' \
				-H "X-Rucio-Auth-Token: $root" --data-binary @- "$BASE/replicas"
			i=$((i + 1))
		done >"$T/conc.$c"
	) &
	pids="$pids $!"
done
# shellcheck disable=SC2086 # the list of pids
wait $pids
is "4000 concurrent registrations: all 201" "$(cat "$T"/conc.* | sort | uniq -c | sed 's/^ *//')" "160 201"
# bytes: 500 files of each size c in 1..8 = 500 * 36, plus f1's 100
is "... SITE_DISK counts exactly 4001 files, 18100 bytes" "$(usage SITE_DISK)" '[4001,18100]'
"$B/gridrest-db" verify >"$T/verify" 2>&1
ok "... and the store verifies (every index entry)" [ $? -eq 0 ]
