#!/bin/sh
# 49-rule-states.t -- the rule and lock state machine (spec 5.4): locks
# follow their replicas (PUT /replicas A/U), the rule's counters, state,
# history and dataset locks follow; PUT /rules/{id} (options, SUSPENDED,
# STUCK, account, approve/deny), /reduce, /move (the parent goes once its
# child is OK), rules given with POST /dids, notifications (gridrest-db
# messages), expiry. gridrest-db verify after each part.
. tests/smoke/lib.sh
server_start
db=$B/gridrest-db
login
root=$TOKEN

verify() {
	"$db" verify >"$T/verify" 2>&1
	ok "gridrest-db verify: $1" grep -q '^verify: ok' "$T/verify"
}
rule_is() { # rule jq-filter expected
	req GET "/rules/$1"
	is "$4" "$(json -c "$2")" "$3"
}

reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
reqb POST /scopes/root/data ''
for r in SITE_A SITE_B SITE_C; do reqb POST "/rses/$r" '{}'; done
reqb POST /replicas '{"rse": "SITE_A", "files": [
  {"scope": "data", "name": "f1", "bytes": 100},
  {"scope": "data", "name": "f2", "bytes": 200},
  {"scope": "data", "name": "f3", "bytes": 300}]}'
reqb POST /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "f3"}]}'
reqb POST /dids/data/ds1 '{"type": "DATASET", "dids": [
  {"scope": "data", "name": "f1"}, {"scope": "data", "name": "f2"}]}'
is "the cast is ready" "$STATUS" 201

# --- locks follow replicas ----------------------------------------------
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "SITE_B"}'
r1=$(json '.[0]')
rule_is "$r1" '[.state, .locks_replicating_cnt]' '["REPLICATING",2]' \
    "a rule to copy ds1 to SITE_B: REPLICATING"
reqb PUT /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "f1", "state": "A"}]}'
is "f1 arrives on SITE_B: 200" "$STATUS" 200
rule_is "$r1" '[.state, .locks_ok_cnt, .locks_replicating_cnt]' '["REPLICATING",1,1]' \
    "... one lock OK, the rule still REPLICATING"
reqb PUT /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "f2", "state": "U", "error_message": "checksum mismatch"}]}'
rule_is "$r1" '[.state, .locks_stuck_cnt, .error]' '["STUCK",1,"checksum mismatch"]' \
    "f2's transfer fails: the lock is STUCK, the rule too, with the error"
req GET '/locks/data/ds1?did_type=dataset'
is "... its dataset lock follows" "$(json .state)" STUCK
reqb PUT /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "f2", "state": "A"}]}'
rule_is "$r1" '[.state, .locks_ok_cnt, .locks_stuck_cnt, .error]' '["OK",2,0,null]' \
    "f2 arrives after all: the rule is OK"
req GET '/locks/data/ds1?did_type=dataset'
is "... and its dataset lock" "$(json .state)" OK
"$db" dump requests.db >"$T/req" 2>&1
is "... no request is left for it" "$(grep -c "\"rule_id\":\"$r1\"" "$T/req")" 0
req GET "/rules/$r1/history"
is "its history: every change, oldest first" \
    "$(jq -r .state "$T/body" | tr '\n' ' ')" "REPLICATING REPLICATING STUCK OK "
reqb PUT /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "f1", "state": "U"}]}'
rule_is "$r1" '[.state, .locks_ok_cnt, .locks_stuck_cnt]' '["STUCK",1,1]' \
    "an OK replica lost: its lock and the rule are STUCK"
reqb PUT /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "f1", "state": "A"}]}'
verify "after the state changes"

# --- PUT /rules/{id} ------------------------------------------------------
reqb PUT "/rules/$r1" '{"options": {"comment": "new words", "lifetime": 3600, "priority": 5, "activity": "Express", "locked": true}}'
is "PUT options: 200" "$STATUS" 200
rule_is "$r1" '[.comments, .priority, .activity, .locked, (.expires_at | test(" UTC$"))]' \
    '["new words",5,"Express",true,true]' "... comment, priority, activity, locked, lifetime"
reqb PUT "/rules/$r1" '{"options": {"lifetime": null, "locked": false}}'
rule_is "$r1" '[.expires_at, .locked]' '[null,false]' "... lifetime null: no expiry"
reqb PUT "/rules/$r1" '{"options": {"eol_at": "2030-01-02T03:04:05"}}'
rule_is "$r1" '.eol_at' 'Wed, 02 Jan 2030 03:04:05 UTC' "... eol_at"
reqb PUT "/rules/$r1" '{"options": {"eol_at": null}}'
rule_is "$r1" '.eol_at' 'null' "... eol_at null"
reqb PUT "/rules/$r1" '{"options": {"eol_at": "soon"}}'
ok "... eol_at not a date: 409 InputValidationError" error_is 409 InputValidationError
reqb PUT "/rules/$r1" '{"options": {"colour": "red"}}'
ok "an unknown option: 409 InputValidationError" error_is 409 InputValidationError
reqb PUT "/rules/$r1" '{"options": {"state": "FLYING"}}'
ok "a state other than SUSPENDED/STUCK: 409 InputValidationError" error_is 409 InputValidationError
reqb PUT "/rules/$r1" '{"nothing": 1}'
ok "no options: 400 KeyError" error_is 400 KeyError
reqb PUT /rules/0123456789abcdef0123456789abcdef '{"options": {"comment": "x"}}'
ok "an unknown rule: 404 RuleNotFound" error_is 404 RuleNotFound
TOKEN=$("$db" token jdoe)
reqb PUT "/rules/$r1" '{"options": {"comment": "mine"}}'
ok "a user may not update rules: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
reqb PUT "/rules/$r1" '{"options": {"account": "jdoe"}}'
rule_is "$r1" .account jdoe "the rule's account moved to jdoe"
req GET /accounts/jdoe/usage/local
is "... its usage moved with the locks" "$(json -c '[.rse, .files, .bytes]')" '["SITE_B",2,300]'
reqb PUT "/rules/$r1" '{"options": {"account": "nobody"}}'
ok "... to an unknown account: 404 AccountNotFound" error_is 404 AccountNotFound
verify "after the account change"

reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f3"}], "account": "root", "copies": 1, "rse_expression": "SITE_C"}'
r2=$(json '.[0]')
reqb PUT "/rules/$r2" '{"options": {"state": "SUSPENDED"}}'
rule_is "$r2" .state SUSPENDED "manual SUSPENDED"
reqb PUT /replicas '{"rse": "SITE_C", "files": [{"scope": "data", "name": "f3", "state": "A"}]}'
rule_is "$r2" '[.state, .locks_ok_cnt]' '["SUSPENDED",1]' \
    "... a suspended rule keeps its state while its counters move"
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f1"}], "account": "root", "copies": 1, "rse_expression": "SITE_C"}'
r3=$(json '.[0]')
reqb PUT "/rules/$r3" '{"options": {"state": "STUCK"}}'
rule_is "$r3" '[.state, .locks_replicating_cnt, .locks_stuck_cnt, (.stuck_at | test(" UTC$"))]' \
    '["STUCK",0,1,true]' "manual STUCK: the replicating locks become STUCK"
lock_age() { # lock updated_at in the store, per rule (no request)
	"$db" dump locks.db | grep "\"$1\"" | sed 's/.*"updated_at":\([0-9]*\).*/\1/'
}
before=$(lock_age "$r3")
reqb PUT "/rules/$r3" '{"options": {"boost_rule": true}}'
is "boost_rule: 200" "$STATUS" 200
is "... its STUCK lock looks a day older" "$(lock_age "$r3")" "$((before - 86400))"
req GET "/rules/$r3"
ok "... and so does the rule" [ "$(json '.updated_at | strptime("%a, %d %b %Y %H:%M:%S UTC") | mktime')" -le $(($(date +%s) - 86390)) ]
req GET "/rules/$r3/history"
is "... a history entry more, STUCK" "$(jq -sc 'map(.state) | .[-1]' "$T/body")" '"STUCK"'
reqb PUT "/rules/$r3" '{"options": {"boost_rule": "yes"}}'
ok "... boost_rule not a boolean: 409 InputValidationError" error_is 409 InputValidationError
verify "after manual states"

# --- approval ------------------------------------------------------------
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f2"}], "account": "root", "copies": 1, "rse_expression": "SITE_C", "ask_approval": true}'
r4=$(json '.[0]')
rule_is "$r4" '[.state, .locks_replicating_cnt]' '["WAITING_APPROVAL",0]' "ask_approval: WAITING_APPROVAL, no lock"
TOKEN=$("$db" token jdoe)
reqb PUT "/rules/$r4" '{"options": {"approve": true}}'
ok "a user may not approve: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
reqb PUT "/rules/$r4" '{"options": {"approve": true}}'
is "approve: 200" "$STATUS" 200
i=0
until req GET "/rules/$r4" && [ "$(json .state)" = REPLICATING ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
rule_is "$r4" '[.state, .ignore_account_limit, .locks_replicating_cnt]' '["REPLICATING",true,1]' \
    "... the rule is INJECT, outside the quotas, and the evaluator applies it"
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f1"}], "account": "root", "copies": 1, "rse_expression": "SITE_B", "ask_approval": true}'
r5=$(json '.[0]')
reqb PUT "/rules/$r5" '{"options": {"approve": false, "comment": "no room"}}'
is "deny: 200" "$STATUS" 200
req GET "/rules/$r5"
ok "... the denied rule is gone" error_is 404 RuleNotFound

# --- reduce and move -----------------------------------------------------
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f3"}], "account": "root", "copies": 2, "rse_expression": "SITE_A|SITE_B"}'
r6=$(json '.[0]')
rule_is "$r6" '[.state, .locks_ok_cnt]' '["OK",2]' "two copies of f3 where it is: OK"
reqb POST "/rules/$r6/reduce" '{"copies": 2}'
ok "reduce to as many copies: 409 RuleReplaceFailed" error_is 409 RuleReplaceFailed
reqb POST "/rules/$r6/reduce" '{"copies": 1, "exclude_expression": "SITE_A"}'
is "reduce to 1 copy, not on SITE_A: 200 with the new id" "$STATUS" 200
r7=$(json '.[0]')
req GET "/rules/$r6"
ok "... the old rule is gone" error_is 404 RuleNotFound
req GET "/rules/$r7/locks"
is "... the new one holds f3 on SITE_B" "$(json -c '[.rse, .state]')" '["SITE_B","OK"]'
rule_is "$r7" '[.copies, .rse_expression]' '[1,"(SITE_A|SITE_B)\\(SITE_A)"]' "... with the reduced expression"
reqb POST "/rules/$r7/move" '{"rse_expression": "SITE_A", "override": {"comment": "moved"}}'
is "move f3's rule to SITE_A (where f3 is): 201" "$STATUS" 201
r8=$(json '.[0]')
rule_is "$r8" '[.state, .comments]' '["OK","moved"]' "... the child is OK at once, with the override"
req GET "/rules/$r7"
ok "... and the parent is gone" error_is 404 RuleNotFound
reqb POST "/rules/$r8/move" '{"rse_expression": "SITE_C", "override": {"dids": []}}'
ok "an override of dids: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
reqb POST /dids/data/ds2 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f2"}]}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds2"}], "account": "root", "copies": 1, "rse_expression": "SITE_A"}'
r9=$(json '.[0]')
reqb POST "/rules/$r9/move" '{"rse_expression": "SITE_C"}'
r10=$(json '.[0]')
rule_is "$r9" .child_rule_id "$r10" "a move that must copy: the parent names its child"
req DELETE "/rules/$r9" --data-binary '{}'
ok "... and cannot be deleted: 401 UnsupportedOperation" error_is 401 UnsupportedOperation
reqb POST "/rules/$r9/move" '{"rse_expression": "SITE_B"}'
ok "... nor moved again: 409 RuleReplaceFailed" error_is 409 RuleReplaceFailed
reqb PUT /replicas '{"rse": "SITE_C", "files": [{"scope": "data", "name": "f2", "state": "A"}]}'
rule_is "$r10" .state OK "the child becomes OK"
req GET "/rules/$r9"
ok "... and its parent is gone" error_is 404 RuleNotFound
verify "after reduce and move"

# --- rules given with new DIDs -------------------------------------------
reqb POST /dids/data/ds3 '{"type": "DATASET", "dids": [{"scope": "data", "name": "f1"}], "rules": [{"copies": 1, "rse_expression": "SITE_A", "lifetime": 1}]}'
is "POST /dids/{s}/{n} with rules: 201" "$STATUS" 201
req GET /dids/data/ds3/rules
is "... the rule exists, OK on SITE_A" "$(json -c '[.state, .rse_expression, .account]')" '["OK","SITE_A","root"]'
reqb POST /dids '[{"scope": "data", "name": "ds4", "type": "DATASET", "rules": [{"copies": 1, "rse_expression": "SITE_B", "grouping": "ALL"}]}]'
is "bulk POST /dids with rules: 201" "$STATUS" 201
req GET /dids/data/ds4/rules
is "... the rule exists" "$(json -c '[.rse_expression, .grouping]')" '["SITE_B","ALL"]'
reqb POST /dids/data/ds5 '{"type": "DATASET", "rules": [{"copies": 1, "rse_expression": "NOWHERE"}]}'
ok "a rule that cannot be made: the DID is refused too (409)" error_is 409 InvalidRSEExpression
req GET /dids/data/ds5
ok "... and not created" error_is 404 DataIdentifierNotFound

# --- the SCRATCHDISK policy (upstream's get_scratch_policy) --------------
reqb POST /rses/SCRATCH '{}'
reqb POST /rses/SCRATCH/attr/type '{"value": "SCRATCHDISK"}'
reqb POST /accounts/jdoe/limits/local/SCRATCH '{"bytes": 100000}'
reqb POST /dids/data/dss '{"type": "DATASET", "dids": [{"scope": "data", "name": "f1"}]}'
epoch() { # rule -> its expires_at in epoch seconds
	req GET "/rules/$1"
	json '.expires_at | strptime("%a, %d %b %Y %H:%M:%S UTC") | mktime'
}
cap=$(($(date +%s) + 14 * 86400 - 1))
TOKEN=$("$db" token jdoe)
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "dss"}], "account": "jdoe", "copies": 1, "rse_expression": "SCRATCH"}'
TOKEN=$root
rs=$(json -r '.[0]')
e=$(epoch "$rs")
ok_all "a user's rule on a SCRATCHDISK without lifetime: 14 days less a second ($e ~ $cap)" \
    [ "$e" -ge $((cap - 1)) ] -- [ "$e" -le $((cap + 10)) ]
reqb PUT "/rules/$rs" '{"options": {"lifetime": 2592000}}'
e=$(epoch "$rs")
ok_all "... a lifetime of 30 days put: capped the same ($e)" \
    [ "$e" -ge $((cap - 1)) ] -- [ "$e" -le $((cap + 10)) ]
reqb PUT "/rules/$rs" '{"options": {"lifetime": 3600}}'
e=$(epoch "$rs")
ok_all "... a shorter one is kept ($e)" [ "$e" -le $(($(date +%s) + 3600)) ] -- [ "$e" -ge $(($(date +%s) + 3590)) ]
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "dss"}], "account": "root", "copies": 1, "rse_expression": "SCRATCH"}'
rr=$(json -r '.[0]')
rule_is "$rr" '.expires_at' 'null' "an admin's rule there has no lifetime forced on it"
verify "after the SCRATCHDISK rules"

# --- notifications (notify Y/C/P): messages for gridrest-db messages ----
msgs() { # [args]: the messages as "TYPE scope:name" lines
	"$db" messages "$@" >"$T/msgs" 2>&1
	jq -r '"\(.event_type) \(.payload.scope // "-"):\(.payload.name // "-")"' \
	    "$T/msgs" | tr '\n' ' '
}
is "rules with notify N left no message" "$(msgs)" ""
reqb POST /accounts/jdoe/limits/local/SITE_B '{"bytes": 100000}'
reqb POST /replicas '{"rse": "SITE_A", "files": [
  {"scope": "data", "name": "g1", "bytes": 10},
  {"scope": "data", "name": "g2", "bytes": 10}]}'
reqb POST /dids/data/dsn '{"type": "DATASET", "dids": [
  {"scope": "data", "name": "g1"}, {"scope": "data", "name": "g2"}]}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "dsn"}], "account": "jdoe", "copies": 1, "rse_expression": "SITE_B", "notify": "Y"}'
rn=$(json -r '.[0]')
rule_is "$rn" '[.state, .notification]' '["REPLICATING","YES"]' \
    "a notify Y rule for jdoe: REPLICATING"
is "... no message yet" "$(msgs)" ""
reqb PUT /replicas '{"rse": "SITE_B", "files": [{"scope": "data", "name": "g1", "state": "A"}, {"scope": "data", "name": "g2", "state": "A"}]}'
rule_is "$rn" .state OK "... its files arrive: OK"
is "gridrest-db messages: RULE_OK, DATASETLOCK_OK, the email, oldest first" \
    "$(msgs)" "RULE_OK data:dsn DATASETLOCK_OK data:dsn email -:- "
is "... RULE_OK's payload is upstream's" \
    "$(jq -c 'select(.event_type == "RULE_OK") | [.payload, .services]' "$T/msgs")" \
    "[{\"scope\":\"data\",\"name\":\"dsn\",\"rule_id\":\"$rn\"},\"activemq\"]"
B_ID=$(req GET /rses/SITE_B && json .id)
is "... DATASETLOCK_OK names the RSE" \
    "$(jq -c 'select(.event_type == "DATASETLOCK_OK") | .payload | [.rse, .rse_id, .rule_id]' "$T/msgs")" \
    "[\"SITE_B\",\"$B_ID\",\"$rn\"]"
is "... the email goes to jdoe's address, through the email service" \
    "$(jq -c 'select(.event_type == "email") | [.services, .payload.to, (.payload.subject | contains($r)), (.payload.body | contains($r))]' --arg r "$rn" "$T/msgs")" \
    '["email",["jdoe@example.org"],true,true]'
is "... read again: still there" "$(msgs)" \
    "RULE_OK data:dsn DATASETLOCK_OK data:dsn email -:- "
is "messages --drain RULE_OK: that one" "$(msgs --drain RULE_OK)" "RULE_OK data:dsn "
is "messages --drain: the rest" "$(msgs --drain)" "DATASETLOCK_OK data:dsn email -:- "
is "... and then none" "$(msgs)" ""
"$db" messages --bogus >/dev/null 2>&1
is "messages with an unknown option: usage, exit 2" "$?" 2
reqb POST /dids/data/dsc '{"type": "DATASET", "dids": [{"scope": "data", "name": "g1"}]}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "dsc"}], "account": "root", "copies": 1, "rse_expression": "SITE_A", "notify": "C"}'
rc_=$(json -r '.[0]')
rule_is "$rc_" '[.state, .notification]' '["OK","CLOSE"]' "a notify C rule on an open dataset: OK"
is "... no message while the dataset is open" "$(msgs)" ""
reqb PUT /dids/data/dsc/status '{"open": false}'
is "closing it: 200" "$STATUS" 200
is "... RULE_OK and DATASETLOCK_OK now" "$(msgs --drain)" \
    "RULE_OK data:dsc DATASETLOCK_OK data:dsc "
verify "after the notifications"

# --- expiry --------------------------------------------------------------
sleep 2
req GET /rules/
sleep 0.5
req GET /dids/data/ds3/rules
is "a rule whose lifetime ended is deleted (after a request, within a second)" \
    "$STATUS $(wc -c <"$T/body")" "200 0"
verify "after expiry"
