#!/bin/sh
# 46-replica-options.t -- the dataset replicas of one RSE
# (GET /replicas/rse/{rse}) and the listing's sort (select/sort: random,
# geoip, custom_table) and nrandom options, as upstream reads them.
. tests/smoke/lib.sh
server_start
login

for r in A_DISK B_DISK C_DISK EMPTY_DISK; do
	reqb POST "/rses/$r" '{}'
	reqb POST "/rses/$r/protocols/root" "{\"hostname\": \"$r.example.org\", \"port\": 1094, \"prefix\": \"/data\", \"impl\": \"xrootd\", \"domains\": {\"wan\": {\"read\": 1, \"write\": 1, \"delete\": 1}, \"lan\": {\"read\": 0, \"write\": 0, \"delete\": 0}}}"
done
reqb POST /rses/A_DISK/protocols/https '{"hostname": "lan.example.org", "port": 443, "prefix": "/lan", "impl": "webdav", "domains": {"wan": {"read": 0, "write": 0, "delete": 0}, "lan": {"read": 1, "write": 1, "delete": 1}}}'
reqb POST /scopes/root/data ''
is "RSEs, protocols, scope: 201" "$STATUS" 201

files=
for i in $(seq 1 12); do files="$files${files:+,}{\"scope\": \"data\", \"name\": \"f$i\", \"bytes\": $i}"; done
reqb POST /replicas "{\"rse\": \"A_DISK\", \"files\": [$files]}"
reqb POST /replicas '{"rse": "B_DISK", "files": [{"scope": "data", "name": "f1", "bytes": 1}]}'
reqb POST /replicas '{"rse": "C_DISK", "files": [{"scope": "data", "name": "f1", "bytes": 1}, {"scope": "data", "name": "f2", "bytes": 2, "state": "U"}]}'
is "replicas on A (f1..f12), B (f1), C (f1, f2 unavailable): 201" "$STATUS" 201
reqb POST /dids/data/ds1 '{"type": "DATASET"}'
dids=
for i in $(seq 1 10); do dids="$dids${dids:+,}{\"scope\": \"data\", \"name\": \"f$i\"}"; done
reqb POST /dids/data/ds1/dids "{\"dids\": [$dids]}"
reqb POST /dids/data/ds2 '{"type": "DATASET"}'
reqb POST /dids/data/ds2/dids '{"dids": [{"scope": "data", "name": "f1"}, {"scope": "data", "name": "f11"}, {"scope": "data", "name": "f12"}]}'
reqb POST /dids/data/cnt '{"type": "CONTAINER"}'
reqb POST /dids/data/cnt/dids '{"dids": [{"scope": "data", "name": "ds1"}]}'
is "datasets ds1 (f1..f10), ds2 (f1, f11, f12) and a container: 201" "$STATUS" 201

# --- GET /replicas/rse/{rse} ---
req GET /replicas/rse/A_DISK
is "dataset replicas on A_DISK: a stream" "$STATUS $(header Content-Type)" "200 application/x-json-stream"
is "... each dataset once, by name, none of the container" \
    "$(jq -c '[.scope, .name, .rse, .length, .available_length, .bytes, .available_bytes, .state]' "$T/body" | tr '\n' ' ')" \
    '["data","ds1","A_DISK",10,10,55,55,"AVAILABLE"] ["data","ds2","A_DISK",3,3,24,24,"AVAILABLE"] '
ok "... with the RSE id and dates" \
    [ "$(jq -r '[(.rse_id | length), (.created_at | test(" UTC$"))] | @tsv' "$T/body" | sort -u)" = "$(printf '32\ttrue')" ]
req GET /replicas/rse/B_DISK
is "on B_DISK: the datasets of f1, partly there" \
    "$(jq -c '[.name, .length, .available_length, .state]' "$T/body" | tr '\n' ' ')" \
    '["ds1",10,1,"UNAVAILABLE"] ["ds2",3,1,"UNAVAILABLE"] '
req GET /replicas/rse/C_DISK
is "on C_DISK: an unavailable replica counts in no available figure" \
    "$(jq -c '[.name, .available_length, .available_bytes]' "$T/body" | tr '\n' ' ')" \
    '["ds1",1,1] ["ds2",1,1] '
req GET /replicas/rse/C_DISK/
is "... also with a trailing slash" "$(jq -sc 'map(.name)' "$T/body")" '["ds1","ds2"]'
req GET /replicas/rse/EMPTY_DISK
is "an RSE without replicas: an empty stream" "$STATUS $(wc -c <"$T/body")" "200 0"
req GET /replicas/rse/NOPE
ok "an unknown RSE: 404 RSENotFound" error_is 404 RSENotFound
req GET /replicas/rse/lower_case
ok "an invalid RSE name: 404 RSENotFound" error_is 404 RSENotFound
TOKEN=
req GET /replicas/rse/A_DISK
ok "no token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
login

# --- sort ---
f1='{"dids": [{"scope": "data", "name": "f1"}]'
order() { jq -r '.pfns | to_entries | sort_by(.value.priority) | map(.key) | join(" ")' "$T/body"; }
reqb POST /replicas/list "$f1}"
default=$(order)
is "no sort: three wan PFNs, priorities 1..3" \
    "$(jq -c '[.pfns[].priority] | sort' "$T/body")" '[1,2,3]'
same=yes
for i in 1 2 3 4 5; do
	reqb POST /replicas/list "$f1}"
	[ "$(order)" = "$default" ] || same=no
done
is "... the same order every time" "$same" yes
for s in geoip custom_table; do
	reqb POST /replicas/list "$f1, \"sort\": \"$s\"}"
	is "sort=$s (no GeoIP data, no client site): the priority order" "$(order)" "$default"
done
firsts=
for i in $(seq 1 30); do
	reqb POST /replicas/list "$f1, \"sort\": \"random\"}"
	firsts="$firsts $(order | cut -d' ' -f1)"
	[ "$(jq -c '[.pfns[].priority] | sort' "$T/body")" = '[1,2,3]' ] || firsts="$firsts BAD"
done
is "sort=random: priorities still 1..3" "$(echo "$firsts" | grep -c BAD)" 0
ok "... and the first PFN varies over 30 calls" \
    [ "$(echo "$firsts" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" -ge 2 ]
is "... the same set of PFNs" "$(order | tr ' ' '\n' | sort | tr '\n' ' ')" \
    "$(echo "$default" | tr ' ' '\n' | sort | tr '\n' ' ')"
is "... the rses map follows" "$(jq -c '.rses | keys' "$T/body")" '["A_DISK","B_DISK","C_DISK"]'
lan=yes
for i in $(seq 1 10); do
	reqb POST /replicas/list "$f1, \"sort\": \"random\", \"domain\": \"all\"}"
	case $(order) in https://lan.example.org:443/lan/*) ;; *) lan=no ;; esac
done
is "sort=random keeps the lan PFN first (only wan ones are sorted)" "$lan" yes
reqb POST '/replicas/list?limit=1' "$f1, \"sort\": \"random\"}"
is "... with ?limit=1: one PFN, priority 1" "$(jq -c '[.pfns[].priority]' "$T/body")" '[1]'
firsts=
for i in $(seq 1 20); do
	reqb POST '/replicas/list?sort=random' "$f1, \"sort\": \"geoip\"}"
	firsts="$firsts $(order | cut -d' ' -f1)"
done
ok "the query's sort overrides the body's" \
    [ "$(echo "$firsts" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" -ge 2 ]
reqb POST /replicas/list "$f1, \"sort\": \"nearest\"}"
ok "an unknown sort: 400 SortingAlgorithmNotSupported" error_is 400 SortingAlgorithmNotSupported
reqb POST /replicas/list "$f1, \"sort\": 5}"
ok "a sort that is no string: 400 InvalidObject" error_is 400 InvalidObject
req GET '/replicas/data/f1?select=random'
is "GET /replicas/{s}/{n}?select=random: 200" "$STATUS" 200
req GET '/replicas/data/f1?select=nearest'
ok "... select=nearest: 400 SortingAlgorithmNotSupported" error_is 400 SortingAlgorithmNotSupported

# --- nrandom ---
ds1='{"dids": [{"scope": "data", "name": "ds1"}]'
reqb POST /replicas/list "$ds1, \"nrandom\": 3}"
is "nrandom=3 on ds1: three files" "$(jq -s length "$T/body")" 3
ok "... distinct, of ds1, in (scope, name) order" \
    sh -c "jq -r .name '$T/body' | sort -c && [ \$(jq -r .name '$T/body' | sort -u | wc -l) = 3 ] && ! jq -r .name '$T/body' | grep -qv -E '^f([1-9]|10)\$'"
seen=
for i in $(seq 1 15); do
	reqb POST /replicas/list "$ds1, \"nrandom\": 2}"
	seen="$seen $(jq -r .name "$T/body" | tr '\n' ' ')"
done
ok "... different files over 15 calls of nrandom=2" \
    [ "$(echo "$seen" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" -ge 4 ]
reqb POST /replicas/list "$ds1, \"nrandom\": \"2\"}"
is "nrandom as a string (Rucio casts it): 2 files" "$(jq -s length "$T/body")" 2
reqb POST /replicas/list "$ds1, \"nrandom\": 100}"
is "nrandom above the count: every file" "$(jq -s length "$T/body")" 10
reqb POST /replicas/list "$ds1, \"nrandom\": null}"
is "nrandom null: every file" "$(jq -s length "$T/body")" 10
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "ds2"}], "nrandom": 12}'
is "nrandom over two datasets: at most the 12 entries" "$(jq -s length "$T/body")" 12
reqb POST /replicas/list "$ds1, \"nrandom\": -1}"
ok "nrandom -1: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas/list "$ds1, \"nrandom\": \"many\"}"
ok "nrandom many: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas/list "$ds1, \"nrandom\": 100000}"
ok "nrandom above the bound: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /replicas/list "$ds1, \"nrandom\": 2}" -H 'Accept: application/metalink4+xml'
is "nrandom with Metalink: two files" "$(grep -c '<file ' "$T/body")" 2
