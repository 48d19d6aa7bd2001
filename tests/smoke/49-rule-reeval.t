#!/bin/sh
# 49-rule-reeval.t -- re-evaluation: files attached to a DID with rules
# (directly or through the containers above it) get the rules' locks and
# requests in the attach's own transaction; detached ones lose them (but
# not a file still below the rule through another dataset); a kill -9 of
# the backend in the middle of an attach under a rule leaves all or
# nothing. gridrest-db verify after each part.
# the kill -9 part attaches 3000 files in one request
GRIDREST_MAX_BODY=1048576
. tests/smoke/lib.sh
server_start
db=$B/gridrest-db
login

verify() {
	"$db" verify >"$T/verify" 2>&1
	ok "gridrest-db verify: $1" grep -q '^verify: ok' "$T/verify"
}
counts() { # rule -> "state ok replicating stuck"
	req GET "/rules/$1"
	json -r '"\(.state) \(.locks_ok_cnt) \(.locks_replicating_cnt) \(.locks_stuck_cnt)"'
}

reqb POST /scopes/root/data ''
for r in SITE_A SITE_B SITE_C; do reqb POST "/rses/$r" '{}'; done
reqb POST /replicas '{"rse": "SITE_A", "files": [
  {"scope": "data", "name": "f1", "bytes": 1}, {"scope": "data", "name": "f2", "bytes": 2},
  {"scope": "data", "name": "f3", "bytes": 3}, {"scope": "data", "name": "f4", "bytes": 4},
  {"scope": "data", "name": "f5", "bytes": 5}]}'
reqb POST /dids/data/ds1 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f1"}, {"scope": "data", "name": "f2"}]}'
reqb POST /dids/data/cont '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "ds1"}]}'
is "the cast is ready" "$STATUS" 201
B_ID=$(req GET /rses/SITE_B && json .id)

reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "SITE_B"}'
r1=$(json '.[0]')
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "cont"}], "account": "root", "copies": 1, "rse_expression": "SITE_C", "grouping": "ALL"}'
r2=$(json '.[0]')
is "a dataset rule and a container rule: 2 replicating locks each" \
    "$(counts "$r1") / $(counts "$r2")" "REPLICATING 0 2 0 / REPLICATING 0 2 0"

# --- attach ---------------------------------------------------------------
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f3"}]}'
is "attach f3 to ds1: 201" "$STATUS" 201
is "... at once both rules lock it (one above, one on ds1)" \
    "$(counts "$r1") / $(counts "$r2")" "REPLICATING 0 3 0 / REPLICATING 0 3 0"
req GET "/rules/$r1/locks"
is "... f3 goes where the dataset's files go" \
    "$(jq -r 'select(.name == "f3") | .rse' "$T/body")" SITE_B
"$db" dump requests.db >"$T/req" 2>&1
ok "... with a queued request to SITE_B" \
    grep -q "\"state\":\"Q\".*\"name\":\"f3\",\"dest_rse_id\":\"$B_ID\"" "$T/req"
reqb POST /dids/attachments '{"attachments": [{"scope": "data", "name": "ds1", "dids": [{"scope": "data", "name": "f3"}]}], "ignore_duplicate": true}'
is "attaching f3 again (ignore_duplicate): no lock twice" \
    "$(counts "$r1") / $(counts "$r2")" "REPLICATING 0 3 0 / REPLICATING 0 3 0"
verify "after attaching a file"

reqb POST /dids/data/ds2 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f4"}, {"scope": "data", "name": "f1"}]}'
reqb POST /dids/data/cont/dids '{"dids": [{"scope": "data", "name": "ds2"}]}'
is "attach a dataset to the container: its new file f4 is locked, f1 (held already) once" \
    "$(counts "$r2")" "REPLICATING 0 4 0"
req GET "/rules/$r2/locks"
is "... all on the rule's one RSE (grouping ALL)" \
    "$(jq -r .rse "$T/body" | sort -u | tr '\n' ' ')" "SITE_C "
req GET '/locks/data/ds2?did_type=dataset'
is "... and ds2 got the rule's dataset lock" "$(json -c '[.rule_id == "'"$r2"'", .rse]')" '[true,"SITE_C"]'
verify "after attaching a dataset"

# --- detach ---------------------------------------------------------------
reqb DELETE /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f3"}]}'
is "detach f3 from ds1: 200" "$STATUS" 200
is "... both rules lose its lock" "$(counts "$r1") / $(counts "$r2")" \
    "REPLICATING 0 2 0 / REPLICATING 0 3 0"
"$db" dump replicas.db >"$T/rep" 2>&1
ok "... its COPYING replica on SITE_B, held by nothing, is UNAVAILABLE with a tombstone" \
    grep -q "\"f3\",\"$B_ID\"\\],\"value\":{\"state\":\"U\".*\"lock_cnt\":0,.*\"tombstone\":[1-9]" "$T/rep"
reqb DELETE /dids/data/cont/dids '{"dids": [{"scope": "data", "name": "ds2"}]}'
is "detach ds2 from the container: f4 goes, f1 stays (still below through ds1)" \
    "$(counts "$r2")" "REPLICATING 0 2 0"
req GET '/locks/data/ds2?did_type=dataset'
is "... and ds2's dataset lock is gone" "$STATUS $(wc -c <"$T/body")" "200 0"
verify "after the detachments"

# --- the state machine still holds ---------------------------------------
reqb PUT /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "f1", "state": "A"}, {"scope": "data", "name": "f2", "state": "A"}]}'
is "ds1's files arrive on SITE_B: its rule is OK" "$(counts "$r1")" "OK 2 0 0"
reqb POST /dids/data/ds1/dids '{"dids": [{"scope": "data", "name": "f5"}]}'
is "a new file on an OK rule: REPLICATING again" "$(counts "$r1")" "REPLICATING 2 1 0"
verify "at the end"

# --- the operator's tools --------------------------------------------------
reqb POST /replicas '{"rse": "SITE_C", "files": [{"scope": "data", "name": "lost", "bytes": 9}]}'
reqb PUT /replicas '{"rse": "SITE_C", "files": [{"scope": "data", "name": "lost", "state": "U"}]}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "lost"}], "account": "root", "copies": 1, "rse_expression": "SITE_B"}'
r3=$(json '.[0]')
"$db" rules-stuck >"$T/stuck" 2>&1
is "gridrest-db rules-stuck lists the stuck rule" \
    "$(jq -r '[.id, .state, .error] | join(" ")' "$T/stuck")" "$r3 STUCK MissingSourceReplica"
reqb POST /dids/data/later '{"type": "DATASET", "dids": [{"scope": "data", "name": "f1"}, {"scope": "data", "name": "f2"}]}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "later"}], "account": "root", "copies": 1, "rse_expression": "SITE_B", "delay_injection": 3600}'
r4=$(json '.[0]')
is "a rule injected in an hour: nothing locked yet" "$(counts "$r4")" "INJECT 0 0 0"
"$db" rules-reevaluate data:later >"$T/out" 2>&1
is "gridrest-db rules-reevaluate locks what is missing now" "$(counts "$r4")" "INJECT 2 0 0"
"$db" rules-reevaluate data:later >"$T/out" 2>&1
is "... and twice is once" "$(counts "$r4")" "INJECT 2 0 0"
"$db" rules-reevaluate data:f1 >"$T/out" 2>&1
ok "... a file is refused" grep -q "is a file" "$T/out"
verify "after the operator's tools"

# --- kill -9 in the middle of an attach's re-evaluation --------------------
N=3000
seq 1 $N | jq -R '{scope: "data", name: ("k" + .), bytes: 1}' |
    jq -sc '{rse: "SITE_A", files: .}' >"$T/kfiles"
st=
for s in 0 1000 2000; do # a thousand files a request at most
	jq -c "{rse, files: .files[$s:$s + 1000]}" "$T/kfiles" >"$T/kpart"
	req POST /replicas --data-binary "@$T/kpart" -H 'Content-Type:'
	st="$st$STATUS "
done
reqb POST /dids/data/dsk '{"type": "DATASET"}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "dsk"}], "account": "root", "copies": 1, "rse_expression": "SITE_B"}'
rk=$(json '.[0]')
is "$N files on SITE_A, a rule on an empty dataset" "$st$(counts "$rk")" \
    "201 201 201 OK 0 0 0"
jq -c '{dids: [.files[] | {scope, name}]}' "$T/kfiles" >"$T/kattach"
lpid=$(cat "$GRIDREST_HOME/run/lighttpd.pid")
(
	T=$T/kreq
	mkdir -p "$T"
	req POST /dids/data/dsk/dids --data-binary "@$T/../kattach" -H 'Content-Type:'
	echo "$STATUS" >"$T/status"
) &
apid=$!
sleep 0.15
for p in $(pgrep -P "$lpid" -f dids.fcgi); do kill -9 "$p"; done
wait $apid
echo "# the attach was answered $(cat "$T/kreq/status")"
i=0
until req GET "/rules/$rk" && [ "$STATUS" = 200 ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
req GET /dids/data/dsk/dids
n=$(grep -c '"name"' "$T/body")
c=$(counts "$rk")
case "$n $c" in
"0 OK 0 0 0" | "$N REPLICATING 0 $N 0") atomic=yes ;;
*) atomic="no: $n attached, $c" ;;
esac
is "killed: all $N files attached and locked, or none" "$atomic" yes
verify "after the kill -9"
[ "$n" = 0 ] &&
    req POST /dids/data/dsk/dids --data-binary "@$T/kattach" -H 'Content-Type:'
is "... then (attached again if need be) every file is locked once" \
    "$(counts "$rk")" "REPLICATING 0 $N 0"
verify "after the attach"
