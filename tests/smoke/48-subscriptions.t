#!/bin/sh
# 48-subscriptions.t -- /subscriptions as the Rucio client drives them:
# creation and its checks, every listing, the id, updates and
# deactivation, rights, and the rules routes.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
user=$("$B/gridrest-db" token jdoe)
# settled ACCOUNT/NAME STATE: within 5 s the subscription is in STATE
# (a retroactive one is NEW until the rule evaluator's pass is done)
settled() {
	i=0
	while [ $i -lt 50 ]; do
		req GET "/subscriptions/$1"
		[ "$(json .state)" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

rules='[{"copies": 2, "rse_expression": "tier=1", "activity": "Data Brokering", "lifetime": 3600}]'
filter='{"scope": ["data.*"], "pattern": "AOD\\..*", "project": ["data18"], "did_type": ["DATASET"]}'

# --- creation ---
reqb POST /subscriptions/root/aod "{\"options\": {\"filter\": $filter, \"replication_rules\": $rules, \"comments\": \"AODs to tier 1\", \"lifetime\": 2, \"retroactive\": false, \"dry_run\": false}}"
is "POST /subscriptions/root/aod: 201" "$STATUS" 201
id=$(cat "$T/body")
ok "... the body is the new id, 32 hex digits" matches "$id" '^[0-9a-f]{32}$'
reqb POST /subscriptions/root/aod "{\"options\": {\"filter\": {}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "the same name again: 409 SubscriptionDuplicate" error_is 409 SubscriptionDuplicate
is "... Rucio's message" "$(json .ExceptionMessage)" "Subscription 'aod' owned by 'root' already exists!"
reqb POST /subscriptions/jdoe/aod "{\"options\": {\"filter\": {\"account\": [\"jdoe\"]}, \"replication_rules\": $rules, \"comments\": null, \"lifetime\": false, \"retroactive\": true, \"priority\": 1}}"
is "the same name for another account: 201" "$STATUS" 201
jid=$(cat "$T/body")

reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": $rules, \"lifetime\": null, \"retroactive\": false}}"
ok "without comments: 400 KeyError" error_is 400 KeyError
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null}}"
ok "without retroactive: 400 KeyError" error_is 400 KeyError
reqb POST /subscriptions/root/x '{"filter": {}}'
ok "without options: 400 KeyError" error_is 400 KeyError
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": [], \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "no rule: 400 InvalidObject" error_is 400 InvalidObject
is "... 'You must specify a rule'" "$(json .ExceptionMessage)" "You must specify a rule"
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": [{\"copies\": 1, \"rse_expression\": \"MOCK\"}], \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "a rule without activity ('default' is none): 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": [{\"copies\": 1, \"rse_expression\": \"MOCK\", \"activity\": \"Fun\"}], \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "an unknown activity: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {\"scope\": \"data\"}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "a filter's scope not a list: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {\"pattern\": \"(\"}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "a pattern that is no expression: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {\"split_rule\": \"yes\"}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "split_rule not a boolean: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": [1], \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "a filter that is not a dict: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": {\"copies\": 1}, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "rules that are not a list: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": \"soon\", \"retroactive\": false}}"
ok "a lifetime that is not days: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /subscriptions/root/x "{\"options\": {\"filter\": {}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": \"maybe\"}}"
ok "retroactive not a boolean: 400 TypeError" error_is 400 TypeError
reqb POST /subscriptions/nobody/x "{\"options\": {\"filter\": {}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "for an unknown account: 404 AccountNotFound" error_is 404 AccountNotFound
TOKEN=$user
reqb POST /subscriptions/jdoe/mine "{\"options\": {\"filter\": {}, \"replication_rules\": $rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
ok "a user, even for itself: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
req GET /subscriptions/root/x
ok "... and none of those was stored: 404 SubscriptionNotFound" error_is 404 SubscriptionNotFound
req GET /subscriptions/jdoe/mine
ok "... nor the user's" error_is 404 SubscriptionNotFound

# --- the listings ---
req GET /subscriptions/root/aod
is "GET /subscriptions/root/aod: a stream" "$STATUS/$(header Content-Type)" 200/application/x-json-stream
is "... the subscription's fields (4.7)" "$(json -c '[.id == "'"$id"'", .name, .account, .state, .policyid, .retroactive, .comments, .expired_at]')" \
    '[true,"aod","root","ACTIVE",3,false,"AODs to tier 1",null]'
is "... filter and replication_rules are JSON strings" "$(json -c '[(.filter | fromjson), (.replication_rules | fromjson)]')" \
    "[$(printf "%s" "$filter" | jq -c .),$(printf "%s" "$rules" | jq -c .)]"
ok "... lifetime: the end of its 2 days, RFC 1123" matches "$(json .lifetime)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} UTC$'
end=$(date -u -d "$(json .lifetime | sed 's/ UTC$//')" +%s)
now=$(date -u +%s)
ok_all "... about two days from now" [ $((end - now)) -gt 172700 ] -- \
    [ $((end - now)) -le 172800 ]
ok "... created_at, updated_at, last_processed dates" \
    [ "$(json -c '[.created_at, .updated_at, .last_processed] | map(test(" UTC$")) | all')" = true ]
ok "the retroactive one: ACTIVE once the rule evaluator's pass is done" \
    settled jdoe/aod ACTIVE
is "... its priority kept, no lifetime" "$(json -c '[.state, .policyid, .retroactive, .lifetime, .comments]')" '["ACTIVE",1,true,null,null]'
req GET /subscriptions/
is "GET /subscriptions/: all, by account and name" "$(jq -sc 'map([.account, .name])' "$T/body")" '[["jdoe","aod"],["root","aod"]]'
req GET /subscriptions
is "... also without the slash" "$(jq -sc 'map(.account)' "$T/body")" '["jdoe","root"]'
req GET /subscriptions/root
is "GET /subscriptions/root: the account's" "$(jq -sc 'map([.account, .name])' "$T/body")" '[["root","aod"]]'
req GET '/subscriptions/j*'
is "... '*' in the account is a wildcard" "$(jq -sc 'map(.account)' "$T/body")" '["jdoe"]'
req GET /subscriptions/name/aod
is "GET /subscriptions/name/aod: across accounts" "$(jq -sc 'map(.account)' "$T/body")" '["jdoe","root"]'
req GET /subscriptions/name/nope
ok "... an unknown name: 404 SubscriptionNotFound" error_is 404 SubscriptionNotFound
req GET /subscriptions/nobody
ok "an account without any: 404 SubscriptionNotFound" error_is 404 SubscriptionNotFound
req GET "/subscriptions/id/$id"
is "GET /subscriptions/id/{id}: the one, application/json" "$STATUS/$(header Content-Type)/$(json -c '[.name, .account]')" \
    '200/application/json/["aod","root"]'
req GET /subscriptions/id/0123456789abcdef0123456789abcdef
ok "... an unknown id: 404 SubscriptionNotFound" error_is 404 SubscriptionNotFound
TOKEN=$user
req GET /subscriptions/root/aod
is "anybody with a token reads them" "$STATUS" 200
TOKEN=
req GET /subscriptions/root/aod
ok "... without one: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
TOKEN=$root

# --- updates ---
reqb PUT /subscriptions/root/aod '{"options": {"comments": "to tier 1, now", "priority": 2, "filter": null, "replication_rules": null, "lifetime": null, "retroactive": null, "state": null}}'
is "PUT /subscriptions/root/aod: 201 Created" "$STATUS/$(cat "$T/body")" 201/Created
req GET /subscriptions/root/aod
is "... UPDATED, comments and priority changed, the filter kept" "$(json -c '[.state, .comments, .policyid, (.filter | fromjson | .pattern)]')" \
    '["UPDATED","to tier 1, now",2,"AOD\\..*"]'
reqb PUT /subscriptions/root/aod '{"options": {"filter": {"scope": ["mc.*"]}}}'
req GET /subscriptions/root/aod
is "... a new filter replaces the old" "$(json -c '.filter | fromjson')" '{"scope":["mc.*"]}'
reqb PUT /subscriptions/root/aod '{"options": {"replication_rules": [{"copies": 1, "rse_expression": "X", "activity": "Nope"}]}}'
ok "an update with an unknown activity: 400 InvalidObject" error_is 400 InvalidObject
reqb PUT /subscriptions/root/aod '{"options": {"state": "Z"}}'
ok "an unknown state: 400 InvalidObject" error_is 400 InvalidObject
reqb PUT /subscriptions/root/aod '{}'
ok "no options: 400 KeyError" error_is 400 KeyError
reqb PUT /subscriptions/root/nope '{"options": {"comments": "x"}}'
ok "an unknown subscription: 404 SubscriptionNotFound" error_is 404 SubscriptionNotFound
TOKEN=$user
reqb PUT /subscriptions/root/aod '{"options": {"comments": "mine"}}'
ok "a user: 401 AccessDenied" error_is 401 AccessDenied
TOKEN=$root
reqb PUT /subscriptions/root/aod '{"options": {"state": "I"}}'
is "deactivate (the client's state 'I'): 201" "$STATUS" 201
req GET /subscriptions/root/aod
is "... INACTIVE, expired now" "$(json -c '[.state, .comments, (.expired_at | test(" UTC$"))]')" '["INACTIVE","to tier 1, now",true]'

# --- rules ---
req GET /subscriptions/root/aod/rules
is "GET .../rules: a stream of the rules it made (none yet)" "$STATUS/$(header Content-Type)/$(wc -c <"$T/body")" \
    200/application/x-json-stream/0
req GET /subscriptions/root/nope/rules
ok "... of an unknown subscription: 404 SubscriptionNotFound" error_is 404 SubscriptionNotFound
req GET /subscriptions/root/rules/states
is "GET /subscriptions/root/rules/states: a line per subscription, no rule" "$(jq -sc . "$T/body")" \
    '[["root","aod",null,0]]'
req GET '/subscriptions/jdoe/aod/rules/states?include_details=true'
is "... of one, with its details" "$(json -c '[.account, .name, .count, .subscription_state, .lifetime, .comments, .expired_at]')" \
    '["jdoe","aod",0,"ACTIVE",null,null,null]'
req GET /subscriptions/nobody/rules/states
is "... of an account without any: an empty stream" "$STATUS/$(wc -c <"$T/body")" 200/0


# --- the transmogrifier: new DIDs that match get the rules -----------------
reqb POST /rses/DISK_1 '{}'
reqb POST /rses/DISK_1/attr/tier '{"value": 1}'
reqb POST /scopes/root/data18 ''
reqb POST /dids/data18/RAW.0 '{"type": "DATASET"}'
reqb POST /dids/data18/ESD.0 '{"type": "DATASET"}'
is "an RSE of tier 1, a scope, two datasets before any rule-giving subscription" "$STATUS" 201
t1rules='[{"copies": 1, "rse_expression": "tier=1", "activity": "T0 Export", "lifetime": 86400}]'
reqb POST /subscriptions/root/t1 "{\"options\": {\"filter\": {\"scope\": [\"data1[0-9]\"], \"pattern\": \"AOD\\\\.\", \"project\": [\"data18_13TeV\"], \"did_type\": [\"DATASET\"]}, \"replication_rules\": $t1rules, \"comments\": \"AODs of 2018 to tier 1\", \"lifetime\": null, \"retroactive\": false}}"
t1=$(cat "$T/body")
reqb POST /subscriptions/root/esd "{\"options\": {\"filter\": {\"pattern\": \"ESD\"}, \"replication_rules\": $t1rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
is "two subscriptions: 201" "$STATUS" 201
reqb POST /dids/data18/AOD.1 '{"type": "DATASET", "meta": {"project": "data18_13TeV"}}'
is "a new dataset that matches: 201" "$STATUS" 201
req GET /dids/data18/AOD.1/rules
is "... it has the subscription's rule, with subscription_id" \
    "$(jq -sc 'map([.subscription_id == "'"$t1"'", .account, .rse_expression, .copies, .activity, .comments, .grouping])' "$T/body")" \
    '[[true,"root","tier=1",1,"T0 Export","AODs of 2018 to tier 1","DATASET"]]'
ok "... the template's lifetime gives it an expiry" nonempty "$(json .expires_at)"
req GET /dids/data18/AOD.1/meta
is "... and the DID is no longer new" "$(json .is_new)" false
reqb POST /dids/data18/AOD.2 '{"type": "DATASET", "meta": {"project": "mc16_13TeV"}}'
req GET /dids/data18/AOD.2/rules
is "another project: no rule" "$(wc -c <"$T/body")" 0
reqb POST /dids/data18/AOD.c '{"type": "CONTAINER", "meta": {"project": "data18_13TeV"}}'
req GET /dids/data18/AOD.c/rules
is "a container (did_type DATASET only): no rule" "$(wc -c <"$T/body")" 0
reqb POST /dids/data18/xAOD.1 '{"type": "DATASET", "meta": {"project": "data18_13TeV"}}'
req GET /dids/data18/xAOD.1/rules
is "a name the pattern does not match from its start: no rule" "$(wc -c <"$T/body")" 0
reqb POST /dids '[{"scope": "data18", "name": "AOD.3", "type": "DATASET", "meta": {"project": "data18_13TeV"}}, {"scope": "data18", "name": "ESD.1", "type": "DATASET"}]'
is "bulk POST /dids of two that match: 201" "$STATUS" 201
req GET /dids/data18/AOD.3/rules
is "... the AOD has t1's rule" "$(jq -sc 'map(.subscription_id == "'"$t1"'")' "$T/body")" '[true]'
req GET /dids/data18/ESD.1/rules
is "... the ESD the other's" "$(jq -sc 'map(.subscription_id != "'"$t1"'")' "$T/body")" '[true]'
req GET /dids/data18/ESD.0/rules
is "a DID made before a (not retroactive) subscription: none of its rules" "$(wc -c <"$T/body")" 0
req GET /subscriptions/root/t1/rules
is "GET /subscriptions/root/t1/rules: the rules it made" "$(jq -sc 'map(.name) | sort' "$T/body")" '["AOD.1","AOD.3"]'
req GET '/subscriptions/root/t1/rules?state=O'
is "... ?state=O (empty datasets: the rules are OK)" "$(jq -sc 'map(.name) | sort' "$T/body")" '["AOD.1","AOD.3"]'
req GET '/subscriptions/root/t1/rules?state=S'
is "... ?state=S: none stuck" "$(wc -c <"$T/body")" 0
req GET /subscriptions/root/t1/rules/states
is "GET .../t1/rules/states: the count by state" "$(jq -sc . "$T/body")" '[["root","t1","OK",2]]'

# retroactive: the collections there are get the rules, from the rule
# evaluator (gridrest-rules), not in the request
reqb POST /subscriptions/root/raw "{\"options\": {\"filter\": {\"pattern\": \"RAW\"}, \"replication_rules\": $t1rules, \"comments\": \"\", \"lifetime\": null, \"retroactive\": true}}"
raw=$(cat "$T/body")
ok "a retroactive subscription: ACTIVE within 5 s" settled root/raw ACTIVE
req GET /dids/data18/RAW.0/rules
is "... the existing dataset got its rule" "$(jq -sc 'map(.subscription_id == "'"$raw"'")' "$T/body")" '[true]'

# an inactive subscription gives nothing
reqb PUT /subscriptions/root/t1 '{"options": {"state": "I"}}'
reqb POST /dids/data18/AOD.4 '{"type": "DATASET", "meta": {"project": "data18_13TeV"}}'
req GET /dids/data18/AOD.4/rules
is "after deactivation, a matching dataset gets no rule" "$(wc -c <"$T/body")" 0
req GET /subscriptions/root/t1/rules
is "... t1's rules stay" "$(jq -sc 'map(.name) | sort' "$T/body")" '["AOD.1","AOD.3"]'

# a template that cannot give a rule does not stop the other, nor the DID
reqb POST /subscriptions/root/half "{\"options\": {\"filter\": {\"pattern\": \"HALF\"}, \"replication_rules\": [{\"copies\": 1, \"rse_expression\": \"NOWHERE\", \"activity\": \"Express\"}, {\"copies\": 1, \"rse_expression\": \"DISK_1\", \"activity\": \"Express\"}], \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
reqb POST /dids/data18/HALF.1 '{"type": "DATASET"}'
is "a DID whose subscription has a template with no RSE: 201" "$STATUS" 201
req GET /dids/data18/HALF.1/rules
is "... the other template's rule was made" "$(jq -sc 'map(.rse_expression)' "$T/body")" '["DISK_1"]'

# copies "*": as many as the expression selects
reqb POST /subscriptions/root/all "{\"options\": {\"filter\": {\"pattern\": \"ALL\"}, \"replication_rules\": [{\"copies\": \"*\", \"rse_expression\": \"tier=1\", \"activity\": \"Express\"}], \"comments\": \"\", \"lifetime\": null, \"retroactive\": false}}"
reqb POST /dids/data18/ALL.1 '{"type": "DATASET"}'
req GET /dids/data18/ALL.1/rules
is "copies '*': a rule of as many copies as tier=1 has RSEs (one)" "$(jq -sc 'map([.copies, .rse_expression])' "$T/body")" '[[1,"tier=1"]]'

# --- the backends' pass: a new DID a crash left unprocessed ---
# made by hand with the passes off (a backend's first request runs one),
# then the server runs again with a pass every second
server_stop
export GRIDREST_UNDERTAKER_INTERVAL=0
server_start
reqb POST /dids/data18/HALF.2 '{"type": "DATASET"}'
req GET /dids/data18/HALF.2/rules
rule=$(json .id)
reqb DELETE "/rules/$rule" '{"purge_replicas": null}'
reqb POST /dids/data18/HALF.2/meta/is_new '{"value": true}'
req GET /dids/data18/HALF.2/rules
is "a matching DID, new again and without its rule (as a crash between its creation and its rules leaves it)" \
    "$STATUS/$(wc -c <"$T/body")" 200/0
server_stop
export GRIDREST_UNDERTAKER_INTERVAL=1
server_start
i=0
while [ $i -lt 40 ]; do
	sleep 0.25
	req GET /dids/data18/HALF.2/rules
	[ -s "$T/body" ] && break
	i=$((i + 1))
done
is "the dids backends give it the rule by themselves, within seconds" "$(jq -sc 'map(.rse_expression)' "$T/body")" '["DISK_1"]'
req GET /dids/data18/HALF.2/meta
is "... and it is no longer new" "$(json .is_new)" false
