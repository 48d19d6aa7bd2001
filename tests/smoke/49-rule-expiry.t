#!/bin/sh
# 49-rule-expiry.t -- what ends rules without a DELETE: their lifetime
# (gridrest-db rules-expire at once; the evaluator, gridrest-rules, every
# second while it runs, started by a request to the rses family when one
# is due, or staying for one that is near) and the undertaker (the rules
# of a collection it deletes go with their locks and usage; a locked rule
# keeps its collection a day more). gridrest-db verify after each part.
# No request reaches the server while a test waits for an expiry.
. tests/smoke/lib.sh
export GRIDREST_UNDERTAKER_INTERVAL=0 # swept by hand here
GRIDREST_KEEPER_IDLE=1
export GRIDREST_KEEPER_IDLE
server_start
db=$B/gridrest-db
login

verify() {
	"$db" verify >"$T/verify" 2>&1
	ok "gridrest-db verify: $1" grep -q '^verify: ok' "$T/verify"
}
rule() { # DID [extra JSON members [RSE expression]] -> the rule's id in $RULE
	reqb POST /rules/ "{\"dids\": [{\"scope\": \"data\", \"name\": \"$1\"}], \"account\": null, \"copies\": 1, \"rse_expression\": \"${3:-SITE_A}\"${2:+, $2}}"
	RULE=$(json -r '.[0]')
}
stored() { # rule id -> 1 if the store holds it, else 0 (no request)
	"$db" dump rules.db | grep -c "\"id\":\"$1\""
}
evaluator() { # the running evaluator's pid, or nothing
	p=$(cat "$GRIDREST_HOME/db/rules.lock" 2>/dev/null)
	[ -n "$p" ] && grep -q gridrest-rules "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}
gone_within() { # rule seconds -> waits (without requests) until it is gone
	i=0
	while [ "$(stored "$1")" != 0 ] && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(stored "$1")" = 0 ]
}

reqb POST /scopes/root/data ''
reqb POST /rses/SITE_A '{}'
reqb POST /accounts/root/limits/local/SITE_A '{"bytes": 1000000}'
reqb POST /replicas '{"rse": "SITE_A", "files": [
  {"scope": "data", "name": "f1", "bytes": 100},
  {"scope": "data", "name": "f2", "bytes": 200},
  {"scope": "data", "name": "f3", "bytes": 400}]}'
reqb POST /dids/data/ds1 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f1"}]}'
reqb POST /dids/data/ds2 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f2"}]}'
is "the cast is ready" "$STATUS" 201

# --- gridrest-db rules-expire ---------------------------------------------
rule ds1 '"lifetime": 1'
r1=$RULE
is "a rule of one second" "$(stored "$r1")" 1
sleep 2
is "... its lifetime ended, and without a request it is still stored" \
    "$(stored "$r1")" 1
"$db" rules-expire >"$T/out"
is "gridrest-db rules-expire deletes it at once" "$(cat "$T/out")" \
    "1 expired rules deleted"
is "... it is gone" "$(stored "$r1")" 0
"$db" dump replicas.db >"$T/replicas"
ok "... and its replica has no lock any more" \
    grep -q '"key":\["data","f1",.*"lock_cnt":0' "$T/replicas"
"$db" rules-expire >"$T/out"
is "a second run finds nothing" "$(cat "$T/out")" "0 expired rules deleted"
verify "after rules-expire"

# --- the evaluator, started by a request --------------------------------
rule ds1 '"lifetime": 1'
r2=$RULE
rule ds2 '"lifetime": 1, "locked": true'
r3=$RULE
sleep 1.5
req GET /rses/
is "a request to the rses family once the lifetime ended" "$STATUS" 200
ok "... starts the evaluator, which deletes the rule (no other request)" \
    gone_within "$r2" 10
is "... a locked rule stays" "$(stored "$r3")" 1
verify "after the evaluator's expiry"

# --- the evaluator, staying for a rule that is near -----------------------
i=0
while [ -n "$(evaluator)" ] && [ $i -lt 100 ]; do # the last one leaves
	sleep 0.1
	i=$((i + 1))
done
ok "the idle evaluator left" [ -z "$(evaluator)" ]
GRIDREST_KEEPER_IDLE=3 "$B/gridrest-rules" 2>"$T/rules.log" &
lingerer=$!
i=0
until [ -n "$(evaluator)" ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "an evaluator runs (idle, it would leave after 3 s)" [ -n "$(evaluator)" ]
rule ds1 '"lifetime": 4'
r4=$RULE
ok "a rule of 4 s: the evaluator stays for it and deletes it, no request after its creation" \
    gone_within "$r4" 10
wait "$lingerer"
verify "after the lingering evaluator"

# --- the undertaker -----------------------------------------------------
reqb POST /dids/data/ds3 '{"type": "DATASET", "lifetime": 1, "dids": [{"scope": "data", "name": "f3"}]}'
rule ds3
r5=$RULE
rule ds3 '"grouping": "ALL"' 'SITE_A|SITE_A'
r6=$RULE
reqb POST /dids/data/ds4 '{"type": "DATASET", "lifetime": 1}'
reqb POST /dids/data/ds5 '{"type": "DATASET", "lifetime": 1, "dids": [{"scope": "data", "name": "f2"}]}'
rule ds5 '"locked": true'
r7=$RULE
req GET /accounts/root/usage/local/SITE_A
is "root's usage: f3 twice (two rules), f2 twice (the locked ones)" \
    "$(json -c '[.files, .bytes]')" '[4,1200]'
sleep 2
"$db" undertaker >"$T/out"
is "gridrest-db undertaker: two collections deleted, one kept by its locked rule" \
    "$(cat "$T/out")" "2 expired collections deleted, the expiry of 0 files lifted
1 expired collections kept a day more: a rule on each is locked"
is "... the deleted dataset's rules are gone" "$(stored "$r5") $(stored "$r6")" "0 0"
"$db" dump locks.db >"$T/locks"
is "... with their locks" "$(grep -c "\"$r5\"\|\"$r6\"" "$T/locks")" 0
"$db" dump dataset_locks.db >"$T/dslocks"
is "... and dataset locks" "$(grep -c "\"$r5\"\|\"$r6\"" "$T/dslocks")" 0
"$db" dump replicas.db >"$T/replicas"
ok "... f3's replica holds no lock, purged (tombstone 0)" \
    grep -q '"key":\["data","f3",.*"lock_cnt":0,"tombstone":0' "$T/replicas"
req GET /accounts/root/usage/local/SITE_A
is "... root's usage lost f3's two locks" "$(json -c '[.files, .bytes]')" '[2,400]'
req GET /rules/$r7
is "the collection with a locked rule keeps it" "$STATUS $(json -r .state)" "200 OK"
req GET /dids/data/ds5
is "... and stays, its expiry a day later" \
    "$STATUS $(json -r '.expired_at | test(" UTC$")')" "200 true"
"$db" expired >"$T/expired"
is "... so that it is not expired now" "$(grep -c ds5 "$T/expired")" 0
req GET /dids/data/ds4
ok "an expired dataset without rules is deleted as before" error_is 404 DataIdentifierNotFound
verify "after the undertaker"
