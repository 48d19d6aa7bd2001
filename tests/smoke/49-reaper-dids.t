#!/bin/sh
# 49-reaper-dids.t -- what goes with a file's last replica, as Rucio's
# delete_replicas cleans up: when the reaper (or DELETE /replicas) removes
# it, the file leaves its datasets (their content history keeps it, they
# become incomplete) and its DID goes; a closed dataset left empty leaves
# its container and goes too, an open one stays; a file with a replica
# elsewhere keeps its DID; the name may be registered again; the rules'
# books stay right (gridrest-db verify).
export GRIDREST_REAPER_START=1 GRIDREST_REAPER_IDLE=2 \
    GRIDREST_REAPER_INTERVAL=1 GRIDREST_REAPER_RETRY=1 \
    GRIDREST_DELETE_REPLICAS=admin
. tests/smoke/lib.sh
server_start
login

dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
for r in GREEDY KEEP; do
	reqb POST "/rses/$r" '{}'
	reqb POST "/rses/$r/protocols/file" "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/$r\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
done
reqb POST /rses/GREEDY/attr/greedyDeletion '{"value": true}'
is "two posix RSEs, GREEDY greedy" "$STATUS" 201
reqb POST /scopes/root/data ''

# put RSE NAME: NAME (100 random bytes) stored on RSE and registered
put() {
	head -c 100 /dev/urandom >"$T/$2"
	rse_put "$1" data "$2" "$T/$2"
}
# purge: delete the rule $RULE with purge_replicas
purge() {
	reqb DELETE "/rules/$RULE" '{"purge_replicas": true}'
}
# gone NAME: wait (up to 15 s) until NAME is no DID any more
gone() {
	local i
	i=0
	while [ $i -lt 75 ]; do
		req GET "/dids/data/$1"
		[ "$STATUS" = 404 ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# names PATH: the names a stream lists, sorted, comma-separated
names() {
	req GET "$1"
	jq -rs 'map(.name) | sort | join(",")' "$T/body"
}

# the cast: g1 g2 in ds1 (closed) in cont; g1 g3 in ds2 (open); g4 in ds3
# (closed) with g5, which is only on KEEP; g6 on GREEDY and KEEP
for f in g1 g2 g3 g4 g6; do
	put GREEDY $f
done
put KEEP g5
rse_put KEEP data g6 "$T/g6"
reqb POST /dids/data/cont '{"type": "CONTAINER"}'
for d in ds1 ds2 ds3; do
	reqb POST "/dids/data/$d" '{"type": "DATASET"}'
done
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "g1"}, {"scope": "data", "name": "g2"}]}'
reqb POST /dids/data/ds2/dids '{"dids": [{"scope": "data", "name": "g1"}, {"scope": "data", "name": "g3"}]}'
reqb POST /dids/data/ds3/dids '{"dids": [{"scope": "data", "name": "g4"}, {"scope": "data", "name": "g5"}]}'
reqb POST /dids/data/cont/dids '{"dids": [{"scope": "data", "name": "ds1"}]}'
is "datasets filled and attached: 201" "$STATUS" 201
reqb PUT /dids/data/ds1/status '{"open": false}'
reqb PUT /dids/data/ds3/status '{"open": false}'
is "ds1 and ds3 closed: 200" "$STATUS" 200

# --- a rule on ds1 deleted with purge_replicas ------------------------------
rule ds1 GREEDY
purge
is "a rule on ds1 deleted with purge_replicas: 200" "$STATUS" 200
ok "... g2, whose last replica went, is no DID any more" gone g2
req GET /dids/data/g2
ok "... GET /dids/data/g2: 404 DataIdentifierNotFound" \
    error_is 404 DataIdentifierNotFound
ok "... nor g1" gone g1
ok "... ds1, closed and emptied, goes too" gone ds1
is "... cont keeps nothing, and stays (open)" \
    "$(names /dids/data/cont/dids)" ""
req GET /dids/data/cont
is "... GET /dids/data/cont: 200, open" "$STATUS $(json .open)" "200 true"
is "... ds2, open, keeps g3 and stays" "$(names /dids/data/ds2/dids)" g3
is "... g1 in ds2's history" "$(names /dids/data/ds2/dids/history)" g1
req GET /dids/data/ds2/meta
is "... ds2 no longer complete" "$(json .complete)" false
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "g1"}, {"scope": "data", "name": "ds2"}], "all_states": true}'
is "... list_replicas: g3 alone" \
    "$(jq -rs 'map(.name) | join(",")' "$T/body")" g3
ok "... the files gone from the disk" \
    [ ! -e "$(posix_path "$(rse_pfn GREEDY data g2)")" ]
is "... the scope's top lists neither g1, g2 nor ds1" \
    "$(names /dids/data/)" cont,ds2,ds3,g6
store_verify "after the purge"

# --- a closed dataset that keeps a file; a file with another replica --------
rule g4 GREEDY
purge
ok "g4's last replica purged: g4 goes" gone g4
is "... ds3 keeps g5" "$(names /dids/data/ds3/dids)" g5
req GET /dids/data/ds3
is "... and stays, its length and bytes following" \
    "$(json -c '[.open, .length, .bytes]')" '[false,1,100]'
rule g6 GREEDY
purge
i=0
until [ "$(rse_states data g6)" = '["KEEP=AVAILABLE"]' ] || [ $i -ge 75 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "g6 purged on GREEDY: its replica on KEEP left" "$(rse_states data g6)" \
    '["KEEP=AVAILABLE"]'
req GET /dids/data/g6
is "... and its DID" "$STATUS $(json .name)" "200 g6"

# --- DELETE /replicas cleans up the same way --------------------------------
reqb DELETE /replicas '{"rse": "KEEP", "files": [{"scope": "data", "name": "g6"}]}'
is "DELETE /replicas of g6's last replica: 200" "$STATUS" 200
req GET /dids/data/g6
ok "... its DID goes at once" error_is 404 DataIdentifierNotFound
store_verify "after DELETE /replicas"

# --- the names are free again -----------------------------------------------
put GREEDY g1
is "g1 registered again: 201" "$STATUS" 201
req GET /dids/data/g1
is "... a new FILE DID" "$STATUS $(json .type)" "200 FILE"
reqb POST /dids/data/ds1 '{"type": "DATASET"}'
is "ds1 made again: 201" "$STATUS" 201
