#!/bin/sh
# 47-rules.t -- replication rules as the Rucio client sees them: POST
# /rules/ with its options and errors, what a rule creates (locks, dataset
# locks, COPYING replicas with queued requests, STUCK locks where no
# source exists, lock_cnt, tombstones, account usage), GET /rules/{id},
# GET /rules/ with filters, the DID and account listings, /locks, DELETE
# with purge_replicas; gridrest-db verify after each part.
. tests/smoke/lib.sh
server_start
db=$B/gridrest-db
login
root=$TOKEN

verify() {
	"$db" verify >"$T/verify" 2>&1
	ok "gridrest-db verify: $1" grep -q '^verify: ok' "$T/verify"
}

# the cast: jdoe a user with a scope, three disk RSEs, files on SITE_A
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
reqb POST /scopes/jdoe/user.jdoe ''
reqb POST /scopes/root/data ''
for r in SITE_A SITE_B SITE_C; do reqb POST "/rses/$r" '{}'; done
reqb POST /rses/SITE_A/attr/tier '{"value": 1}'
reqb POST /rses/SITE_B/attr/tier '{"value": 2}'
reqb POST /rses/SITE_C/attr/tier '{"value": 2}'
reqb POST /rses/SITE_B/attr/w '{"value": "5"}'
reqb POST /replicas '{"rse": "SITE_A", "files": [
  {"scope": "data", "name": "f1", "bytes": 100, "adler32": "0000000a"},
  {"scope": "data", "name": "f2", "bytes": 200},
  {"scope": "data", "name": "f3", "bytes": 300}]}'
reqb POST /dids/data/ds1 '{"type": "DATASET", "dids": [
  {"scope": "data", "name": "f1"}, {"scope": "data", "name": "f2"}]}'
reqb POST /dids/data/lonely '{"type": "DATASET"}'
is "the cast is ready" "$STATUS" 201
rse_id() {
	req GET "/rses/$1"
	json .id
}
A=$(rse_id SITE_A)
B_ID=$(rse_id SITE_B)

# --- a rule whose data exists: locks OK at once --------------------------
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}],
  "account": "root", "copies": 1, "rse_expression": "SITE_A",
  "comment": "keep it", "activity": "T0 Export"}'
is "a rule on data already there: 201" "$STATUS" 201
is "... answered as text/html, as Rucio" "$(header Content-Type)" \
    "text/html; charset=utf-8"
rule1=$(json '.[0]')
ok "... a list of one uuid4 in 32 lowercase hex" \
    matches "$rule1" '^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$'
req GET "/rules/$rule1"
is "GET /rules/{id}: 200 application/json" \
    "$STATUS $(header Content-Type)" "200 application/json"
is "... the rule: OK with 2 locks ok" \
    "$(json -c '[.state, .locks_ok_cnt, .locks_replicating_cnt, .locks_stuck_cnt, .did_type, .grouping, .notification, .copies, .account]')" \
    '["OK",2,0,0,"DATASET","DATASET","NO",1,"root"]'
is "... comment as comments, activity kept, no expiry" \
    "$(json -c '[.comments, .activity, .expires_at, .locked, .priority]')" \
    '["keep it","T0 Export",null,false,3]'
ok "... dates in RFC 1123" matches "$(json .created_at)" \
    '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} UTC$'
is "... every field of Rucio's rule" \
    "$(json -c 'keys | length')" 32
req GET "/rules/$rule1/locks"
is "its locks: one per file, OK, on SITE_A" \
    "$(jq -c '[.scope, .name, .rse, .state, .rule_id == "'"$rule1"'", .rse_id == "'"$A"'"]' "$T/body" | sort | tr '\n' ' ')" \
    '["data","f1","SITE_A","OK",true,true] ["data","f2","SITE_A","OK",true,true] '
req GET /accounts/root/usage/local/SITE_A
is "root's usage on SITE_A: the locked files and bytes" \
    "$(json -c '[.files, .bytes]')" '[2,300]'
req GET '/locks/data/ds1?did_type=dataset'
is "the dataset lock: on SITE_A, OK" \
    "$(json -c '[.rse, .state, .rule_id == "'"$rule1"'", .account, .length]')" \
    '["SITE_A","OK",true,"root",2]'
req GET '/locks/SITE_A?did_type=dataset'
is "... and by RSE" "$(json -c '[.scope, .name]')" '["data","ds1"]'
req GET '/locks/SITE_A?did_type=file'
ok "... only dataset locks: 400 for another did_type" \
    error_is 400 InvalidValueForKey
# POST /locks/bulk_locks_for_dids (LockClient.get_locks_for_dids)
reqb POST /dids/data/cont1 '{"type": "CONTAINER"}'
reqb POST /dids/data/cont2 '{"type": "CONTAINER"}'
reqb POST /dids/data/cont2/dids '{"dids": [{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "lonely"}]}'
reqb POST /dids/data/cont1/dids '{"dids": [{"scope": "data", "name": "cont2"}]}'
reqb POST /locks/bulk_locks_for_dids '{"dids": [{"scope": "data", "name": "ds1", "type": "dataset"}]}'
is "POST /locks/bulk_locks_for_dids: a dataset's lock" \
    "$STATUS $(header Content-Type) $(jq -sc 'map([.scope, .name, .rse, .state, .rule_id == "'"$rule1"'", .account, .length, .bytes])' "$T/body")" \
    '200 application/x-json-stream [["data","ds1","SITE_A","OK",true,"root",2,300]]'
reqb POST /locks/bulk_locks_for_dids '{"dids": [{"scope": "data", "name": "cont1", "type": "container"}, {"scope": "data", "name": "ds1"}, {"scope": "data", "name": "nope"}]}'
is "... a container's (two levels down), the dataset again, an unknown DID: each lock once" \
    "$STATUS $(jq -sc 'map(.name)' "$T/body")" '200 ["ds1"]'
reqb POST /locks/bulk_locks_for_dids '{"dids": [{"scope": "data", "name": "lonely"}]}'
is "... a dataset without rules: none" "$STATUS $(wc -c <"$T/body")" "200 0"
reqb POST /locks/bulk_locks_for_dids '{"dids": [{"scope": "data", "name": "f1"}]}'
ok "... a file: 400 ValueError" error_is 400 ValueError
reqb POST /locks/bulk_locks_for_dids '{"dids": [{"scope": "data", "name": "ds1", "type": "file"}]}'
ok "... another type: 400 ValueError" error_is 400 ValueError
reqb POST /locks/bulk_locks_for_dids '{"dids": [{"scope": "data"}]}'
ok "... a DID without a name: 400 TypeError" error_is 400 TypeError
reqb POST /locks/bulk_locks_for_dids '{"scope": "data"}'
ok "... no dids: 400 KeyError" error_is 400 KeyError
TOKEN=$("$db" token jdoe)
reqb POST /locks/bulk_locks_for_dids '{"dids": [{"scope": "data", "name": "ds1"}]}'
is "... any account may read them" "$STATUS $(jq -sc 'length' "$T/body")" '200 1'
TOKEN=bad
reqb POST /locks/bulk_locks_for_dids '{"dids": []}'
ok "... a token is needed: 401" error_is 401 CannotAuthenticate
TOKEN=$root
verify "after a rule on available data"

# --- a rule that must copy: replicas COPYING, requests queued ----------
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}],
  "account": "root", "copies": 1, "rse_expression": "SITE_B",
  "grouping": "DATASET", "priority": 4}'
rule2=$(json '.[0]')
req GET "/rules/$rule2"
is "a rule to SITE_B: REPLICATING, 2 locks replicating" \
    "$(json -c '[.state, .locks_ok_cnt, .locks_replicating_cnt, .locks_stuck_cnt]')" \
    '["REPLICATING",0,2,0]'
"$db" dump replicas.db >"$T/replicas" 2>&1
is "... f1 and f2 are now COPYING on SITE_B, each with one lock" \
    "$(grep -c "\"$B_ID\"\],\"value\":{\"state\":\"C\".*\"lock_cnt\":1}" "$T/replicas")" 2
"$db" dump requests.db >"$T/requests" 2>&1
is "... a queued request per file to SITE_B" \
    "$(grep -c "\"state\":\"Q\".*\"dest_rse_id\":\"$B_ID\"" "$T/requests")" 2
ok "... carrying the rule's activity, priority and the file's checksum" \
    grep -q '"adler32":"0000000a".*"attempts":0,"activity":"User Subscriptions","priority":4' "$T/requests"
ok "... and no tombstone" [ "$(grep -c tombstone "$T/replicas")" = 0 ]
verify "after a replicating rule"

# --- a file nobody holds: STUCK ------------------------------------------
reqb POST /dids/data/ghost.ds '{"type": "DATASET"}'
reqb POST /replicas '{"rse": "SITE_C", "files": [{"scope": "data", "name": "ghost", "bytes": 7}]}'
reqb PUT /replicas '{"rse": "SITE_C", "files": [{"scope": "data", "name": "ghost", "state": "U"}]}'
reqb POST /dids/data/ghost.ds/dids '{"dids": [{"scope": "data", "name": "ghost"}]}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ghost.ds"}],
  "account": "root", "copies": 1, "rse_expression": "SITE_B"}'
rule3=$(json '.[0]')
req GET "/rules/$rule3"
is "a rule on a file with no available replica: STUCK" \
    "$(json -c '[.state, .locks_stuck_cnt, .error]')" \
    '["STUCK",1,"MissingSourceReplica"]'
ok "... stuck_at set" matches "$(json .stuck_at)" ' UTC$'
req GET "/rules/$rule3/analysis"
is "... the analysis names the stuck file, with no source" \
    "$(json -c '[.rule_error, .transfers[0].name, .transfers[0].rse, .transfers[0].sources]')" \
    '["MissingSourceReplica","ghost","SITE_B",[]]'
verify "after a stuck rule"

# --- options and selection -----------------------------------------------
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f3"}],
  "account": "root", "copies": 2, "rse_expression": "tier=2", "weight": "w",
  "lifetime": 3600, "grouping": "NONE", "notify": "C"}'
is "weight: only RSEs with the attribute count, 2 copies on 1: 409" \
    "$(error_is 409 InsufficientTargetRSEs && echo y)" y
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f3"}],
  "account": "root", "copies": 2, "rse_expression": "SITE_A|SITE_B",
  "lifetime": 3600, "grouping": "NONE", "notify": "C", "locked": true}'
rule4=$(json '.[0]')
req GET "/rules/$rule4"
is "a file rule: lifetime, grouping NONE, notify CLOSE, locked" \
    "$(json -c '[.did_type, .grouping, .notification, .locked, .locks_ok_cnt, .locks_replicating_cnt, (.expires_at | test(" UTC$"))]')" \
    '["FILE","NONE","CLOSE",true,1,1,true]'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f3"}],
  "account": "root", "copies": 2, "rse_expression": "SITE_A|SITE_B"}'
ok "the same DID, account, expression and copies again: 409 DuplicateRule" \
    error_is 409 DuplicateRule
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f1"}],
  "account": "root", "copies": 1, "rse_expression": "SITE_A", "asynchronous": "true"}'
rule5=$(json '.[0]')
req GET "/rules/$rule5"
# INJECT with no lock, or OK if the evaluator was quicker than this GET
ok "asynchronous (given as a string, as Rucio's param_get_bool takes): not applied in the request" \
    test "$(json -c '[.state, .locks_ok_cnt]')" = '["INJECT",0]' -o "$(json .state)" = OK
i=0
until req GET "/rules/$rule5" && [ "$(json .state)" = OK ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "... applied soon after by the rule evaluator: OK" "$(json -c '[.state, .locks_ok_cnt]')" '["OK",1]'

# --- errors --------------------------------------------------------------
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "nope"}], "account": "root", "copies": 1, "rse_expression": "SITE_A"}'
ok "an unknown DID: 404 DataIdentifierNotFound" error_is 404 DataIdentifierNotFound
is "... Rucio's words" "$(json .ExceptionMessage)" "Data identifier data:nope is not valid."
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "NOWHERE"}'
ok "an expression selecting nothing: 409 InvalidRSEExpression" error_is 409 InvalidRSEExpression
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "(SITE_A"}'
ok "a bad expression: 409 InvalidRSEExpression" error_is 409 InvalidRSEExpression
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 4, "rse_expression": "*"}'
ok "more copies than RSEs: 409 InsufficientTargetRSEs" error_is 409 InsufficientTargetRSEs
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 0, "rse_expression": "*"}'
ok "copies 0: 400 InvalidValueForKey" error_is 400 InvalidValueForKey
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "*", "colour": "red"}'
ok "an unknown key: 409 InvalidObject" error_is 409 InvalidObject
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "*", "grouping": "SOME"}'
ok "a bad grouping: 409 InvalidObject" error_is 409 InvalidObject
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "*", "activity": "Fun"}'
ok "an unknown activity: 409 InvalidObject" error_is 409 InvalidObject
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "copies": 1, "rse_expression": "*"}'
ok "no account key: 400 KeyError" error_is 400 KeyError
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "*", "locked": "perhaps"}'
ok "a bad boolean: 400 TypeError" error_is 400 TypeError
reqb POST /rules/ 'not json'
ok "a body that is not JSON: 400 ValueError" error_is 400 ValueError
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "ghost", "copies": 1, "rse_expression": "*"}'
ok "an unknown account: 404 AccountNotFound" error_is 404 AccountNotFound
reqb POST /rses/SITE_C/attr/staging_area '{"value": true}'
reqb PUT /rses/SITE_C '{"staging_area": true}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "SITE_C"}'
ok "a staging area without lifetime: 409 StagingAreaRuleRequiresLifetime" \
    error_is 409 StagingAreaRuleRequiresLifetime
reqb PUT /rses/SITE_C '{"staging_area": false, "availability_write": false}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "ds1"}], "account": "root", "copies": 1, "rse_expression": "SITE_C"}'
ok "an RSE not available for writing: 409 RSEWriteBlocked" error_is 409 RSEWriteBlocked
reqb PUT /rses/SITE_C '{"availability_write": true}'
req GET /rules/0123456789abcdef0123456789abcdef
ok "an unknown rule: 404 RuleNotFound" error_is 404 RuleNotFound
req GET /rules/not-an-id
ok "a malformed id: 404 RuleNotFound" error_is 404 RuleNotFound
reqb GET "/rules/$rule1" '{"estimate_ttc": true}'
ok "GET /rules/{id} asking estimate_ttc: 501 NotImplemented" \
    error_is 501 NotImplemented
is "... upstream's message" "$(json .ExceptionMessage)" \
    "estimate_ttc is not implemented!"
reqb GET /rules/0123456789abcdef0123456789abcdef '{"estimate_ttc": 1}'
ok "... asked before the rule is looked up (an unknown one: 501)" \
    error_is 501 NotImplemented
reqb GET "/rules/$rule1" '{"estimate_ttc": false}'
is "... a false estimate_ttc: the rule, 200" "$STATUS $(json .id)" \
    "200 $rule1"
reqb GET "/rules/$rule1" '{"estimate_ttc": '
ok "... a body that is not JSON: 400 ValueError" error_is 400 ValueError
reqb GET "/rules/$rule1" '["estimate_ttc"]'
ok "... a body that is not an object: 400 TypeError" error_is 400 TypeError
verify "after the refused rules (nothing half-written)"

# --- permissions and quotas (spec 8, 5.3) --------------------------------
TOKEN=$("$db" token jdoe)
reqb POST /dids/user.jdoe/mine '{"type": "DATASET", "dids": [{"scope": "data", "name": "f1"}]}'
reqb POST /rules/ '{"dids": [{"scope": "user.jdoe", "name": "mine"}], "account": "root", "copies": 1, "rse_expression": "SITE_B"}'
ok "a user's rule for another account: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /rules/ '{"dids": [{"scope": "user.jdoe", "name": "mine"}], "account": "jdoe", "copies": 1, "rse_expression": "SITE_B", "locked": true}'
ok "a user's locked rule: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /rules/ '{"dids": [{"scope": "user.jdoe", "name": "mine"}], "account": "jdoe", "copies": 1, "rse_expression": "SITE_B"}'
ok "a user's rule without any limit: 409 InsufficientAccountLimit" \
    error_is 409 InsufficientAccountLimit
TOKEN=$root
reqb POST /accounts/jdoe/limits/local/SITE_B '{"bytes": 50}'
TOKEN=$("$db" token jdoe)
reqb POST /rules/ '{"dids": [{"scope": "user.jdoe", "name": "mine"}], "account": "jdoe", "copies": 1, "rse_expression": "SITE_B"}'
ok "a limit smaller than the data: 409 InsufficientAccountLimit" \
    error_is 409 InsufficientAccountLimit
TOKEN=$root
reqb POST /accounts/jdoe/limits/local/SITE_B '{"bytes": 1000}'
TOKEN=$("$db" token jdoe)
reqb POST /rules/ '{"dids": [{"scope": "user.jdoe", "name": "mine"}], "account": "jdoe", "copies": 1, "rse_expression": "SITE_B"}'
is "within its limit: 201" "$STATUS" 201
rule6=$(json '.[0]')
req GET /accounts/jdoe/usage/local/SITE_B
is "... jdoe's usage is the locked bytes" "$(json -c '[.files, .bytes, .bytes_remaining]')" '[1,100,900]'
req DELETE "/rules/$rule6" --data-binary '{}'
ok "a user deleting a rule: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
verify "after the quota checks"

# --- listings -------------------------------------------------------------
req GET '/rules/?scope=data&name=ds1'
is "GET /rules/ by DID" "$(jq -r .id "$T/body" | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$rule1" "$rule2" | sort | tr '\n' ' ')"
ok "... each with the DID's bytes" [ "$(jq -r 'has("bytes")' "$T/body" | sort -u)" = true ]
req GET '/rules/?account=jdoe'
is "... by account" "$(json .id)" "$rule6"
req GET '/rules/?state=S'
is "... by state letter" "$(json .id)" "$rule3"
req GET '/rules/?state=R&account=root'
is "... two filters" "$(jq -r .id "$T/body" | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$rule2" "$rule4" | sort | tr '\n' ' ')"
req GET '/rules/?account=j*'
is "... account with a wildcard" "$(json .id)" "$rule6"
req GET '/rules/?grouping=N'
is "... grouping by letter" "$(json .id)" "$rule4"
req GET '/rules/?did_type=F&activity=User%20Subscriptions'
is "... did_type and activity" "$(jq -r .id "$T/body" | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$rule4" "$rule5" | sort | tr '\n' ' ')"
req GET '/rules/?created_after=Mon,%2001%20Jan%202035%2000:00:00%20UTC'
is "... created after a future date: none" "$STATUS $(wc -c <"$T/body")" "200 0"
req GET '/rules/?colour=red'
ok "... an unknown column: 400" error_is 400 InvalidValueForKey
req GET /rules/
is "... no filter: every rule" "$(wc -l <"$T/body")" 6
req GET /dids/data/ds1/rules
is "GET /dids/{s}/{n}/rules" "$(jq -r .id "$T/body" | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$rule1" "$rule2" | sort | tr '\n' ' ')"
req GET /dids/data/nope/rules
ok "... an unknown DID: 404" error_is 404 DataIdentifierNotFound
req GET /dids/data/f1/associated_rules
is "GET /dids/{s}/{n}/associated_rules: the rules locking the file" \
    "$(jq -r .id "$T/body" | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$rule1" "$rule2" "$rule5" "$rule6" | sort | tr '\n' ' ')"
req GET /accounts/jdoe/rules
is "GET /accounts/{a}/rules" "$(json .id)" "$rule6"
req GET /accounts/ghost/rules
ok "... an unknown account: 404" error_is 404 AccountNotFound

# --- deletion --------------------------------------------------------------
req DELETE "/rules/$rule4" --data-binary '{}'
ok "a locked rule: 401 UnsupportedOperation" error_is 401 UnsupportedOperation
req DELETE "/rules/$rule2"
ok "DELETE without a body: 400 ValueError" error_is 400 ValueError
req DELETE "/rules/$rule2" --data-binary '{"purge_replicas": true}'
is "DELETE /rules/{id}: 200" "$STATUS" 200
req GET "/rules/$rule2"
ok "... the rule is gone" error_is 404 RuleNotFound
"$db" dump replicas.db >"$T/replicas" 2>&1
ok "... its COPYING replicas, held by nothing, are UNAVAILABLE with a tombstone at once (purge)" \
    [ "$(grep "$B_ID" "$T/replicas" | grep -c '"state":"U".*"lock_cnt":0,"tombstone":0')" -ge 1 ]
"$db" dump requests.db >"$T/requests" 2>&1
is "... and their requests are gone" \
    "$(grep -c "\"dest_rse_id\":\"$B_ID\".*\"rule_id\":\"$rule2\"" "$T/requests")" 0
req DELETE "/rules/$rule1" --data-binary '{"purge_replicas": null}'
"$db" dump replicas.db >"$T/replicas" 2>&1
is "a rule on available data: its replica no other rule holds (f2 on SITE_A) gets a tombstone of now" \
    "$(grep "\"$A\"\],\"value\":{\"state\":\"A\".*\"lock_cnt\":0,\"tombstone\":[1-9]" "$T/replicas" | jq -r '.key[1]')" f2
req GET /accounts/root/usage/local/SITE_A
is "... and root's usage there dropped by its locks (f3 and f1 of two other rules stay)" "$(json -c '[.files, .bytes]')" '[2,400]'
req GET "/rules/$rule1/history"
ok "... its history stays" [ "$(json -r .state | head -1)" = OK ]
req GET /rules/data/ds1/history
is "GET /rules/{scope}/{name}/history: the DID's rules" \
    "$(jq -r .rule_id "$T/body" | sort -u | tr '\n' ' ')" \
    "$(printf '%s\n' "$rule1" "$rule2" | sort | tr '\n' ' ')"
verify "after the deletions"

# --- split_container: a rule per dataset, made by the evaluator ------------
reqb POST /replicas '{"rse": "SITE_A", "files": [{"scope": "data", "name": "s1", "bytes": 1}, {"scope": "data", "name": "s2", "bytes": 2}]}'
reqb POST /dids/data/sds1 '{"type": "DATASET", "dids": [{"scope": "data", "name": "s1"}]}'
reqb POST /dids/data/sds2 '{"type": "DATASET", "dids": [{"scope": "data", "name": "s2"}]}'
reqb POST /dids/data/sin1 '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "sds1"}]}'
reqb POST /dids/data/sin2 '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "sds1"}, {"scope": "data", "name": "sds2"}]}'
reqb POST /dids/data/scont '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "sin1"}, {"scope": "data", "name": "sin2"}]}'
is "a container of two containers of datasets (sds1 in both)" "$STATUS $(cat "$T/body")" "201 Created"
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "sds2"}], "account": "root", "copies": 1, "rse_expression": "SITE_A"}'
had=$(json -r '.[0]')
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "scont"}], "account": "root", "copies": 1, "rse_expression": "SITE_A", "split_container": true, "lifetime": 3600, "comment": "split me", "priority": 4}'
split=$(json -r '.[0]')
is "a split_container rule on a container: 201" "$STATUS" 201
i=0
until req GET "/rules/$split" && [ "$STATUS" = 404 ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "... the evaluator replaces it (it is gone)" error_is 404 RuleNotFound
req GET /dids/data/sds1/rules
is "... by a rule on a dataset two levels below it (once), with its options" \
    "$(json -c '[.account, .rse_expression, .grouping, .comments, .priority, .split_container, (.expires_at | test(" UTC$"))]')" \
    '["root","SITE_A","DATASET","split me",4,true,true]'
i=0
until [ "$(json -r .state)" = OK ] || [ $i -ge 100 ]; do
	sleep 0.1
	req GET /dids/data/sds1/rules
	i=$((i + 1))
done
is "... injected in turn: OK" "$(json -c '[.state, .locks_ok_cnt]')" '["OK",1]'
req GET /dids/data/sds2/rules
is "... none on the dataset that had one already" \
    "$(json -r .id | tr '\n' ' ')" "$had "
req GET '/rules/?scope=data&name=scont'
is "... and none left on the container" "$STATUS $(wc -c <"$T/body")" "200 0"
verify "after a split container"
