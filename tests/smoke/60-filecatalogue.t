#!/bin/sh
# 60-filecatalogue.t -- the DIRAC file catalogue (/filecatalogue): base64
# paths, fields, directories, files, metadata with inheritance, every
# operator and type, the listing, the search tree, rights, unknown paths.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
reqb POST /accounts/mike '{"type": "USER", "email": "m@example.org"}'
jdoe=$("$B/gridrest-db" token jdoe)
mike=$("$B/gridrest-db" token mike)

# b64 LFN [nopad]: the url-safe base64 of an LFN
b64() {
	if [ "${2:-}" = nopad ]; then
		printf %s "$1" | base64 -w0 | tr '+/' '-_' | tr -d =
	else
		printf %s "$1" | base64 -w0 | tr '+/' '-_'
	fi
}
D=/filecatalogue/directory
F=/filecatalogue/file

# --- paths ---
req GET $D
is "the root without a segment: 200" "$STATUS" 200
is "... an empty listing in DIRAC's shape" "$(json -c '[.Files, .SubDirs, .Links, .Datasets]')" '[{},{},{},{}]'
req GET "$D/$(b64 /)"
is "the root as Lw==: 200" "$STATUS" 200
req GET "$D/Lw"
is "... and unpadded (Lw): 200" "$STATUS" 200
req GET "$D/L@w"
ok "a character outside the alphabet: 400 InvalidPath" error_is 400 InvalidPath
req GET "$D/Lw="
ok "bad padding: 400 InvalidPath" error_is 400 InvalidPath
req GET "$D/TQ"
ok "an LFN that is not absolute: 400 InvalidPath" error_is 400 InvalidPath
req GET "$D/$(b64 /a/../b)"
ok "a '..' component: 400 InvalidPath" error_is 400 InvalidPath
req GET "$D/$(b64 /a/b/)"
ok "a trailing '/': 400 InvalidPath" error_is 400 InvalidPath
is "... saying so" "$(json .ExceptionMessage)" "an LFN has no trailing '/'"
req GET "$D/$(b64 /nowhere)"
ok "an unknown directory: 404 NotFound" error_is 404 NotFound
TOKEN=
req GET $D
ok "no token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
TOKEN=$root

# --- fields ---
for f in run:int energy:float site:string taken:date; do
	reqb POST /filecatalogue/metadata "{\"name\": \"${f%%:*}\", \"type\": \"${f#*:}\"}"
	is "define the directory field $f: 201" "$STATUS" 201
done
reqb POST /filecatalogue/metadata '{"name": "quality", "type": "string", "kind": "file"}'
is "define a file field: 201" "$STATUS" 201
reqb POST /filecatalogue/metadata '{"name": "run", "type": "int"}'
ok "the same field again: 409 Duplicate" error_is 409 Duplicate
reqb POST /filecatalogue/metadata '{"name": "x", "type": "blob"}'
ok "an unknown type: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb POST /filecatalogue/metadata '{"name": "1x", "type": "int"}'
ok "a bad field name: 400 InvalidMetadata" error_is 400 InvalidMetadata
TOKEN=$jdoe
reqb POST /filecatalogue/metadata '{"name": "mine", "type": "int"}'
ok "a user defining a field: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
req GET /filecatalogue/metadata
is "GET /metadata: the directory fields with DIRAC's types" \
    "$(json -c 'to_entries | map([.key, .value.type, .value.values]) | sort')" \
    '[["energy","float",[]],["run","int",[]],["site","varchar(128)",[]],["taken","datetime",[]]]'

# --- directories ---
reqb POST "$D/$(b64 /vo)" '{"owner": "jdoe"}'
is "an admin creates /vo for jdoe: 201" "$STATUS" 201
TOKEN=$jdoe
reqb POST "$D/$(b64 /vo/data/2024/r1 nopad)" ''
is "jdoe creates /vo/data/2024/r1 with its parents (unpadded): 201" "$STATUS" 201
for d in /vo/data/2024/r2 /vo/data/2024/r3 /vo/data/2023/r9 /vo/mc; do
	reqb POST "$D/$(b64 $d)" ''
done
is "... and more: 201" "$STATUS" 201
reqb POST "$D/$(b64 /vo/mc)" ''
ok "an existing directory: 409 Duplicate" error_is 409 Duplicate
TOKEN=$mike
reqb POST "$D/$(b64 /vo/mike)" ''
ok "mike under jdoe's /vo: 401 AccessDenied" error_is 401 AccessDenied
reqb POST "$D/$(b64 /top)" ''
ok "mike at the root (root's): 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$jdoe
req GET "$D/$(b64 /vo/data)"
is "the listing of /vo/data: its subdirectories" "$(json -c '.SubDirs')" '{"2023":true,"2024":true}'
req GET "$D/$(b64 /vo/data)?verbose=true"
is "... verbose: owner and mode of each" "$(json -c '[.SubDirs["2024"].Owner, .SubDirs["2024"].Mode]')" '["jdoe",509]'
ok "... DIRAC dates" matches "$(json -r '.SubDirs["2024"].CreationDate')" '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$'
req GET "$D/$(b64 /vo/data)?extra=1"
is "... extra= is verbose too" "$(json -r '.SubDirs["2023"].Owner')" jdoe

# --- files ---
reqb POST "$F/$(b64 /vo/data/2024/r1/a.root)" '{"size": 100, "checksum": "0a0b0c0d", "guid": "G-1", "replicas": {"CERN-DISK": "root://eos/a.root"}}'
is "register a file: 201" "$STATUS" 201
reqb POST /filecatalogue/files '[{"lfn": "/vo/data/2024/r1/b.root", "size": 50}, {"lfn": "/vo/data/2024/r2/c.root", "size": 7}, {"lfn": "/vo/data/2023/r9/d.root", "size": 1000}]'
is "register three in one request: 201" "$STATUS" 201
reqb POST /filecatalogue/files '[{"lfn": "/vo/data/2024/r3/e.root", "size": 1}, {"lfn": "/vo/data/2024/r1/a.root", "size": 1}]'
ok "a batch with an existing file: 409 FileAlreadyExists" error_is 409 FileAlreadyExists
req GET "$F/$(b64 /vo/data/2024/r3/e.root)/attributes"
ok "... and nothing of it was stored: 404" error_is 404 NotFound
reqb POST "$F/$(b64 /vo/data/2024/r2)" '{"size": 1}'
ok "a file with a directory's LFN: 409 Duplicate" error_is 409 Duplicate
reqb POST "$D/$(b64 /vo/data/2024/r1/a.root/sub)" ''
ok "a directory with (below) a file's LFN: 409 FileAlreadyExists" error_is 409 FileAlreadyExists
reqb POST "$F/$(b64 /vo/nodir/x)" '{"size": 1}'
ok "a file in a missing directory: 404 NotFound" error_is 404 NotFound
reqb POST "$F/$(b64 /vo/data/2024/r3/f)" '{"size": -1}'
ok "a negative size: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
TOKEN=$mike
reqb POST "$F/$(b64 /vo/data/2024/r3/m)" '{"size": 1}'
ok "mike in jdoe's directory: 401 AccessDenied" error_is 401 AccessDenied
req GET "$F/$(b64 /vo/data/2024/r1/a.root)/attributes"
is "everyone reads: the attributes" \
    "$(json -c '[.Size, .Checksum, .ChecksumType, .GUID, .Owner, .Status, .Mode]')" \
    '[100,"0a0b0c0d","Adler32","G-1","jdoe","AprioriGood",436]'
is "... with a FileID" "$(json '.FileID | type')" number
req GET "$F/$(b64 /vo/data/2024/r1/zz)/attributes"
ok "an unknown file: 404 NotFound" error_is 404 NotFound
TOKEN=$jdoe
req GET "$D/$(b64 /vo/data/2024/r1)"
is "the listing: files by basename" "$(json -c '.Files | keys')" '["a.root","b.root"]'
is "... with their MetaData" "$(json -c '.Files["a.root"].MetaData | [.Size, .GUID, .Type]')" '[100,"G-1","File"]'
is "... no replicas unless verbose" "$(json -c '.Files["a.root"].Replicas')" null
req GET "$D/$(b64 /vo/data/2024/r1)?verbose=true"
is "... verbose: the replicas" "$(json -c '.Files["a.root"].Replicas')" '{"CERN-DISK":"root://eos/a.root"}'
is "... {} for a file without any" "$(json -c '.Files["b.root"].Replicas')" '{}'

# --- metadata, inheritance ---
reqb PUT "$D/$(b64 /vo/data)/metadata" '{"site": "CERN"}'
is "set site on /vo/data: 200" "$STATUS" 200
reqb PUT "$D/$(b64 /vo/data/2024)/metadata" '{"taken": "2024-05-01"}'
reqb PUT "$D/$(b64 /vo/data/2024/r1)/metadata" '{"run": 1, "energy": 6.5}'
reqb PUT "$D/$(b64 /vo/data/2024/r2)/metadata" '{"run": "2", "energy": 13}'
reqb PUT "$D/$(b64 /vo/data/2024/r3)/metadata" '{"run": 3, "energy": 13.6, "site": "DESY"}'
reqb PUT "$D/$(b64 /vo/data/2023/r9)/metadata" '{"run": 9, "taken": "2023-12-31 23:59"}'
is "... and on the runs: 200" "$STATUS" 200
reqb PUT "$D/$(b64 /vo/mc)/metadata" '{"run": "x"}'
ok "an int field given text: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
ok "... naming the field" matches "$(json -r .ExceptionMessage)" "'run'"
reqb PUT "$D/$(b64 /vo/mc)/metadata" '{"taken": "2024-02-30"}'
ok "an impossible date: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb PUT "$D/$(b64 /vo/mc)/metadata" '{"site": 5}'
ok "a string field given a number: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb PUT "$D/$(b64 /vo/mc)/metadata" '{"nosuch": 5}'
ok "an unknown field: 400 InvalidMetadata" error_is 400 InvalidMetadata
reqb PUT "$D/$(b64 /vo/mc)/metadata" '{"quality": "good"}'
ok "a file field on a directory: 400 InvalidMetadata" error_is 400 InvalidMetadata
TOKEN=$mike
reqb PUT "$D/$(b64 /vo/mc)/metadata" '{"run": 5}'
ok "mike setting jdoe's metadata: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$jdoe
reqb PUT "$F/$(b64 /vo/data/2024/r1/a.root)/metadata" '{"quality": "good"}'
is "file metadata: 200" "$STATUS" 200
req GET "$F/$(b64 /vo/data/2024/r1/a.root)/metadata"
is "the file's metadata with what it inherits" "$(json -S -c .)" \
    '{"energy":6.5,"quality":"good","run":1,"site":"CERN","taken":"2024-05-01 00:00:00"}'
req GET "$F/$(b64 /vo/data/2024/r3/x)/metadata"
ok "metadata of an unknown file: 404 NotFound" error_is 404 NotFound

# --- conditions and search ---
search() { # search DIR QUERY: the tree as compact sorted JSON
	req GET "$D/$(b64 "$1")/search?$2"
	json -S -c .
}
is "run=2 (=): one directory, its files and bytes" "$(search / 'run=%3D|2')" \
    '{"d":{"vo":{"d":{"data":{"d":{"2024":{"d":{"r2":{"d":{},"f":1,"s":7}}}}}}}},"f":0,"s":0}'
is "run>1 and run<=3 (two ops on one key)" "$(search /vo/data 'run=%3E|1&run=%3C%3D|3' | jq -c '.d."2024".d | keys')" '["r2","r3"]'
is "run>=9 (>=)" "$(search /vo 'run=%3E%3D|9' | jq -c '.d.data.d | keys')" '["2023"]'
is "run<2 (<)" "$(search /vo 'run=%3C|2' | jq -c '.d.data.d."2024".d | keys')" '["r1"]'
is "run!=1 (!=)" "$(search /vo/data/2024 'run=!%3D|1' | jq -c '.d | keys')" '["r2","r3"]'
is "energy>10 (float)" "$(search /vo/data/2024 'energy=%3E|10' | jq -c '.d | keys')" '["r2","r3"]'
is "site in CERN (inherited, nearest value wins)" "$(search /vo/data/2024 'site=in|CERN' | jq -c '.d | keys')" '["r1","r2"]'
is "site nin CERN, DESY (a list with spaces)" "$(search /vo 'site=nin|CERN,%20DESY' | jq -c '.d')" '{}'
is "site in DESY,CERN and run>=2: both fields" "$(search /vo/data/2024 'site=in|DESY,CERN&run=%3E%3D|2' | jq -c '.d | keys')" '["r2","r3"]'
is "taken<2024-01-01 (date)" "$(search / 'taken=%3C|2024-01-01' | jq -c '.d.vo.d.data.d | keys')" '["2023"]'
t=$(search /vo/data 'taken=%3E%3D|2024-05-01')
is "taken>=2024-05-01: the matching level carries the subtree's sums" "$(printf %s "$t" | jq -c '.d."2024" | [.f, .s]')" '[3,157]'
is "... and its subdirectories, which inherit it" "$(printf %s "$t" | jq -c '.d."2024".d | keys')" '["r1","r2","r3"]'
is "... the searched directory's own f/s stay 0" "$(printf %s "$t" | jq -c '[.f, .s]')" '[0,0]'
is "a search below the match (inherited from above)" "$(search /vo/data/2024/r1 'site=in|CERN' | jq -c '[.f, .s, .d]')" '[2,150,{}]'
search /vo 'run=%3E|x' >/dev/null
ok "a number condition with text: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
ok "... naming the field" matches "$(json -r .ExceptionMessage)" "'run'"
search /vo 'taken=%3E|soon' >/dev/null
ok "a date condition that is no date: 400" error_is 400 InvalidValueForKey
search /vo 'site=%3E|A' >/dev/null
ok "a range on a string field: 400" error_is 400 InvalidValueForKey
search /vo 'run=~|1' >/dev/null
ok "an unknown operator: 400" error_is 400 InvalidValueForKey
search /vo 'nosuch=%3D|1' >/dev/null
ok "an unknown field: 400 InvalidMetadata" error_is 400 InvalidMetadata
search /nowhere 'run=%3D|1' >/dev/null
ok "a search in an unknown directory: 404" error_is 404 NotFound

# --- compatible metadata ---
req GET '/filecatalogue/metadata?run=%3E%3D|2'
is "GET /metadata?run>=2: the values among the matches" \
    "$(json -S -c 'map_values(.values | sort)')" \
    '{"energy":[13,13.6],"run":[2,3,9],"site":["CERN","DESY"],"taken":["2023-12-31 23:59:00","2024-05-01 00:00:00"]}'
is "... with their types" "$(json -r .run.type)" int
req GET /filecatalogue/metadata
is "GET /metadata: every value" "$(json -c '.run.values | sort')" '[1,2,3,9]'
req GET "$D/$(b64 /vo/data/2024)/metadata"
is "a directory's compatible metadata: values in and above it" \
    "$(json -S -c 'map_values(sort)')" \
    '{"energy":[6.5,13,13.6],"run":[1,2,3],"site":["CERN","DESY"],"taken":["2024-05-01 00:00:00"]}'
req GET "$D/$(b64 /vo/data/2024)/metadata?site=in|DESY"
is "... under a condition" "$(json -S -c 'map_values(sort)')" \
    '{"energy":[13.6],"run":[3],"site":["DESY"],"taken":["2024-05-01 00:00:00"]}'

# --- unset, removal ---
reqb DELETE "$D/$(b64 /vo/data/2024/r3)/metadata" '["site"]'
is "unset site on r3: 200" "$STATUS" 200
is "... r3 now inherits CERN" "$(search /vo/data/2024 'site=in|CERN' | jq -c '.d | keys')" '["r1","r2","r3"]'
reqb DELETE "$D/$(b64 /vo/data/2024/r3)/metadata" '["site"]'
ok "unset what is not set: 404 KeyNotFound" error_is 404 KeyNotFound
reqb DELETE "$D/$(b64 /vo/data/2024/r1)" ''
ok "remove a directory with files: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
TOKEN=$mike
reqb DELETE "$F/$(b64 /vo/data/2024/r1/b.root)" ''
ok "mike removing jdoe's file: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$jdoe
reqb DELETE "$F/$(b64 /vo/data/2024/r1/b.root)" ''
is "remove a file: 200" "$STATUS" 200
is "... DIRAC's answer" "$(json -c .)" '{"/vo/data/2024/r1/b.root":true}'
is "... the sums follow" "$(search /vo/data 'taken=%3E%3D|2024-05-01' | jq -c '.d."2024" | [.f, .s]')" '[2,107]'
reqb DELETE "$F/$(b64 /vo/data/2024/r1/b.root)" ''
ok "remove it again: 404 NotFound" error_is 404 NotFound
reqb DELETE "$D/$(b64 /vo/mc)" ''
is "remove an empty directory: 200" "$STATUS" 200
req GET "$D/$(b64 /vo/mc)"
ok "... it is gone: 404" error_is 404 NotFound
reqb DELETE "$D/$(b64 /vo)" ''
ok "remove a directory with subdirectories: 409" error_is 409 UnsupportedOperation
TOKEN=$root
reqb DELETE "$D/$(b64 /)" ''
ok "remove the root: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb DELETE "$F/$(b64 /vo/data/2024/r2/c.root)" ''
is "an admin removes anyone's file: 200" "$STATUS" 200

# --- many directories in one request ---
reqb POST /filecatalogue/directories '[{"path": "/vo/bulk/a", "meta": {"run": 42}}, "/vo/bulk/b/"]'
ok "POST /directories with a trailing '/': 400 InvalidPath" error_is 400 InvalidPath
req GET "$D/$(b64 /vo/bulk)"
ok "... none of them made" error_is 404 NotFound
reqb POST /filecatalogue/directories '[{"path": "/vo/bulk/a", "meta": {"run": 42}}, "/vo/bulk/b"]'
is "POST /directories: two, one with metadata: 201" "$STATUS" 201
is "... searchable at once" "$(search /vo 'run=%3D|42' | jq -c '.d.bulk.d | keys')" '["a"]'
req GET "$D/$(b64 /vo/bulk)"
is "... both listed" "$(json -c '.SubDirs | keys')" '["a","b"]'
reqb POST /filecatalogue/directories '["/vo/bulk/c", {"path": "/vo/bulk/d", "meta": {"run": "x"}}]'
ok "a batch with a bad value: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
req GET "$D/$(b64 /vo/bulk/c)"
ok "... and none of it was created: 404" error_is 404 NotFound
reqb POST /filecatalogue/directories '["vo/x"]'
ok "a relative LFN in a batch: 400 InvalidPath" error_is 400 InvalidPath
reqb POST /filecatalogue/files '{"files": []}'
ok "an empty file batch: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /filecatalogue/files 'not json'
ok "a body that is not JSON: 400 ValueError" error_is 400 ValueError

# --- owners, and the store afterwards ---
reqb POST "$F/$(b64 /vo/data/2024/r3/given)" '{"size": 1, "owner": "nobody"}'
ok "an admin giving a file to an unknown account: 404 AccountNotFound" error_is 404 AccountNotFound
reqb POST "$F/$(b64 /vo/data/2024/r3/given)" '{"size": 1, "owner": "mike"}'
is "... to mike: 201" "$STATUS" 201
req GET "$F/$(b64 /vo/data/2024/r3/given)/attributes"
is "... mike owns it" "$(json -r .Owner)" mike
"$B/gridrest-db" verify >"$T/verify.out" 2>&1
ok "gridrest-db verify: every record and index entry of the catalogue" grep -q '^verify: ok' "$T/verify.out"
