#!/bin/sh
# 49-nosources.t -- a rule whose file has no available replica anywhere
# is STUCK, its transfer request NO_SOURCES; once a replica of the file
# becomes AVAILABLE on an RSE the request may read from (registered there,
# or declared AVAILABLE again with PUT /replicas) the request is QUEUED
# again, the lock REPLICATING, and the mover copies it: the rule OK within
# seconds. A replica its source_replica_expression excludes changes
# nothing. The rules' counters stay consistent (gridrest-db verify).
export GRIDREST_MOVER_START=1 GRIDREST_MOVER_RETRY=1 GRIDREST_MOVER_IDLE=2
. tests/smoke/lib.sh
server_start
login

dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
for r in POSIX_A POSIX_B POSIX_C; do
	reqb POST "/rses/$r" '{}'
	reqb POST "/rses/$r/protocols/file" "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/$r\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
done
is "three posix RSEs" "$STATUS" 201
reqb POST /scopes/root/data ''

# lost RSE NAME FILE: data:NAME registered on RSE as UNAVAILABLE (lost)
lost() {
	reqb POST /replicas "{\"rse\": \"$1\", \"files\": [{\"scope\": \"data\", \"name\": \"$2\", \"bytes\": $(stat -c %s "$3"), \"adler32\": \"$(adler "$3")\", \"state\": \"U\"}]}"
}
# rule_is EXPECTED: wait (up to 15 s) until the rule's
# [state, locks_ok_cnt, locks_replicating_cnt, locks_stuck_cnt] is EXPECTED
rule_is() {
	local i
	i=0
	while [ $i -lt 75 ]; do
		req GET "/rules/$RULE"
		[ "$(json -c '[.state, .locks_ok_cnt, .locks_replicating_cnt, .locks_stuck_cnt]')" = "$1" ] &&
		    return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# request NAME RSE: the state of the request of data:NAME to RSE
request() {
	req GET "/requests/data/$1/$2"
	json -r .state
}

# --- no source anywhere, then one on another RSE ---------------------------
head -c 200000 /dev/urandom >"$T/f1"
lost POSIX_A f1 "$T/f1"
is "f1 registered on POSIX_A as lost: 201" "$STATUS" 201
rule f1 POSIX_B
is "a rule for f1 on POSIX_B: 201" "$STATUS" 201
req GET "/rules/$RULE"
is "... STUCK: no source" \
    "$(json -c '[.state, .locks_stuck_cnt, .error]')" \
    '["STUCK",1,"MissingSourceReplica"]'
is "... its request NO_SOURCES" "$(request f1 POSIX_B)" NO_SOURCES
is "... the replica on POSIX_B UNAVAILABLE" "$(rse_states data f1)" \
    '["POSIX_A=UNAVAILABLE","POSIX_B=UNAVAILABLE"]'
store_verify "a stuck rule"
rse_put POSIX_C data f1 "$T/f1"
is "f1 uploaded to POSIX_C: 201" "$STATUS" 201
ok "... the rule OK within seconds, the lock OK" rule_is '["OK",1,0,0]'
ok "... the file on POSIX_B, byte for byte" \
    cmp -s "$T/f1" "$(posix_path "$(rse_pfn POSIX_B data f1)")"
is "... the replica AVAILABLE there" "$(rse_states data f1)" \
    '["POSIX_A=UNAVAILABLE","POSIX_B=AVAILABLE","POSIX_C=AVAILABLE"]'
req GET /requests/data/f1/POSIX_B
ok "... the request done and gone: 404" error_is 404 RequestNotFound
req GET /requests/history/data/f1/POSIX_B
is "... its history: DONE, read from POSIX_C" \
    "$(json -c '[.state, .source_rse]')" '["DONE","POSIX_C"]'
store_verify "the rule OK"

# --- a source the rule excludes, then the lost replica found again ---------
head -c 100000 /dev/urandom >"$T/f2"
lost POSIX_A f2 "$T/f2"
rule f2 POSIX_B ', "source_replica_expression": "POSIX_A"'
req GET "/rules/$RULE"
is "f2 from POSIX_A only: STUCK" "$(json .state)" STUCK
rse_put POSIX_C data f2 "$T/f2"
is "f2 uploaded to POSIX_C: 201" "$STATUS" 201
req GET "/rules/$RULE"
is "... not a source for the rule: still STUCK" \
    "$(json -c '[.state, .locks_stuck_cnt]')" '["STUCK",1]'
is "... its request still NO_SOURCES" "$(request f2 POSIX_B)" NO_SOURCES
p=$(posix_path "$(rse_pfn POSIX_A data f2)")
mkdir -p "$(dirname "$p")"
cp "$T/f2" "$p"
reqb PUT /replicas '{"rse": "POSIX_A", "files": [{"scope": "data", "name": "f2", "state": "A"}]}'
is "the file found on POSIX_A and declared AVAILABLE: 200" "$STATUS" 200
ok "... the rule OK within seconds" rule_is '["OK",1,0,0]'
ok "... the file on POSIX_B, byte for byte" \
    cmp -s "$T/f2" "$(posix_path "$(rse_pfn POSIX_B data f2)")"
req GET /requests/history/data/f2/POSIX_B
is "... read from POSIX_A" "$(json -r .source_rse)" POSIX_A
store_verify "after the second rule"
