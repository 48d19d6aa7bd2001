#!/bin/sh
# 51-search.t -- GET /dids/{scope}/dids/search: query-parameter filters and
# the filters literal the real client sends, every operator, typed values,
# wildcards, OR groups written once, types, long form, recursion, limit,
# the index following metadata changes, and the errors.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN

reqb POST /scopes/root/data ''
reqb POST /rses/MOCK '{}'
reqb POST /rses/MOCK/protocols/root '{"hostname": "h", "port": 1094, "prefix": "/p", "impl": "x", "domains": {"wan": {"read": 1, "write": 1, "delete": 1}}}'
reqb POST /replicas "{\"rse\": \"MOCK\", \"files\": [$(seq 1 4 | sed 's/.*/{"scope":"data","name":"f&","bytes":&0,"adler32":"0000000&"}/' | paste -sd,)]}"
reqb POST /dids/data/ds.a1 '{"type": "DATASET", "meta": {"project": "p1", "run_number": 5, "energy": 13, "tag": "alpha"}, "dids": [{"scope": "data", "name": "f1"}, {"scope": "data", "name": "f2"}]}'
reqb POST /dids/data/ds.a2 '{"type": "DATASET", "meta": {"project": "p2", "run_number": 7, "energy": "13", "tag": "beta"}, "dids": [{"scope": "data", "name": "f3"}]}'
reqb POST /dids/data/ds.b1 '{"type": "DATASET", "meta": {"project": "p1", "energy": 6.5, "flag": true}}'
reqb POST /dids/data/cn.x '{"type": "CONTAINER", "meta": {"tag": "alpha"}, "dids": [{"scope": "data", "name": "ds.a1"}, {"scope": "data", "name": "ds.b1"}]}'
is "three datasets and a container: 201" "$STATUS" 201
reqb PUT /dids/data/ds.a1/status '{"open": false}'
reqb PUT /dids/data/ds.a2/status '{"open": false}'
is "two datasets closed (length 2 and 1): 200" "$STATUS" 200

# search [curl args]: GET the search with the arguments URL-encoded
search() {
	req GET /dids/data/dids/search -G "$@"
}
# names: the answer's lines (JSON strings), sorted, space-separated
names() {
	jq -r . "$T/body" | sort | paste -sd' '
}
# lit FILTERS [args]: search with the filters literal
lit() {
	local f
	f=$1
	shift
	search --data-urlencode "filters=$f" "$@"
}

# --- query parameters ---
search
is "no filter: the collections of the scope" "$STATUS $(names)" "200 cn.x ds.a1 ds.a2 ds.b1"
is "... a JSON stream" "$(header Content-Type)" application/x-json-stream
search --data-urlencode 'name=ds.*'
is "?name=ds.*: the datasets" "$(names)" "ds.a1 ds.a2 ds.b1"
search --data-urlencode 'name=*1'
is "?name=*1: a pattern without a head" "$(names)" "ds.a1 ds.b1"
search --data-urlencode 'name=f*' --data-urlencode type=all
is "?type=all&name=f*: the files" "$(names)" "f1 f2 f3 f4"
search --data-urlencode type=FILE
is "?type=FILE (any case): every file" "$(names)" "f1 f2 f3 f4"
search --data-urlencode type=container
is "?type=container" "$(names)" "cn.x"
search --data-urlencode 'length.gt=1'
is "?length.gt=1: a query-parameter value is typed" "$(names)" "ds.a1"
search --data-urlencode 'length.lte=2' --data-urlencode 'length.gte=1'
is "?length.gte=1&length.lte=2: a closed range" "$(names)" "ds.a1 ds.a2"
search --data-urlencode project=p1
is "?project=p1: a metadata column" "$(names)" "ds.a1 ds.b1"
req GET /dids/data/dids/search_extended -G --data-urlencode project=p1
is "search_extended is the same search" "$STATUS $(names)" "200 ds.a1 ds.b1"

# --- the filters literal ---
lit "[{'project': 'p1'}]"
is "filters [{'project': 'p1'}]" "$(names)" "ds.a1 ds.b1"
lit "[{'energy': 13}]"
is "a number matches numbers and numeric strings (13 and '13')" "$(names)" "ds.a1 ds.a2"
lit "[{'energy': '13'}]"
is "... the string '13' is typed as a number too" "$(names)" "ds.a1 ds.a2"
lit "[{'energy.gt': 6}]"
is "energy.gt 6" "$(names)" "ds.a1 ds.a2 ds.b1"
lit "[{'energy.gte': 6.5, 'energy.lt': 13}]"
is "energy in [6.5, 13)" "$(names)" "ds.b1"
lit "[{'energy.lte': 6.4}]"
is "energy.lte 6.4: none" "$STATUS:$(cat "$T/body")" "200:"
lit "[{'flag': True}]"
is "a boolean" "$(names)" "ds.b1"
lit "[{'flag': 'true'}]"
is "... 'true' is typed as one" "$(names)" "ds.b1"
lit "[{'tag': 'al*'}]"
is "a wildcard in a value" "$(names)" "cn.x ds.a1"
lit "[{'tag.ne': 'al%'}]"
is "... .ne with a wildcard (and a missing tag matches .ne)" "$(names)" "ds.a2 ds.b1"
lit "[{'project.ne': 'p1'}]"
is ".ne also matches DIDs without the key" "$(names)" "cn.x ds.a2"
lit "[{'run_number.gt': 5}]"
is "run_number.gt 5" "$(names)" "ds.a2"
lit "[{'tag': 'alpha'}, {'project': 'p1'}]"
is "two OR groups: each DID once" "$(jq -r . "$T/body" | sort | uniq -c | awk '{print $1}' | sort -u)" 1
is "... the union" "$(names)" "cn.x ds.a1 ds.b1"
lit "[{'tag': 'alpha', 'project': 'p1'}]"
is "an AND group" "$(names)" "ds.a1"
lit "{'tag': 'alpha'}"
is "one dict instead of a list" "$(names)" "cn.x ds.a1"
lit "[{'type': 'container'}, {'type': 'dataset', 'project': 'p2'}]"
is "a type per group" "$(names)" "cn.x ds.a2"
lit "[{'name': '*.abc'}]"
is "the recorded client query with no match: 200, empty" "$STATUS:$(cat "$T/body")" "200:"
lit "[{'name': 'ds.*', 'length.gt': 1}, {'project': 'p', 'created_after': '2020-01-01T00:00:00.000Z'}]" --data-urlencode type=dataset --data-urlencode long=True --data-urlencode recursive=True
is "the recorded long recursive query" "$(jq -c '[.scope,.name,.did_type,.bytes,.length]' "$T/body")" '["data","ds.a1","DATASET",30,2]'
lit "[{'created_after': '2020-01-01 00:00:00'}]"
is "created_after a date" "$(names)" "cn.x ds.a1 ds.a2 ds.b1"
lit "[{'created_before': 'Wed, 01 Jan 2020 00:00:00 UTC'}]"
is "created_before an RFC 1123 date: none" "$STATUS:$(cat "$T/body")" "200:"
lit "[{'created_at.gt': '2020-01-01T00:00:00', 'created_at.lt': '2999-12-31 23:59:59.5Z'}]"
is "created_at in a range" "$(names)" "cn.x ds.a1 ds.a2 ds.b1"
lit "[{'project': 'p1'}]" --data-urlencode long=true
is "long: scope, name, did_type, bytes, length" "$(jq -c '[.scope,.name,.did_type,.bytes,.length]' "$T/body" | sort | paste -sd' ')" '["data","ds.a1","DATASET",30,2] ["data","ds.b1","DATASET",null,null]'
lit "[{'name': 'cn.x'}]" --data-urlencode type=all --data-urlencode recursive=True
is "recursive: the container, then what inside matches" "$(names)" "cn.x ds.a1 ds.b1 f1 f2"
lit "[{'name': 'cn.x'}, {'tag': 'alpha'}]" --data-urlencode type=all --data-urlencode recursive=True
is "... each DID once though reached twice" "$(jq -r . "$T/body" | sort | uniq -d)" ""
lit "[{'name': 'cn.x'}]" --data-urlencode recursive=True
is "... the type holds inside: collections only" "$(names)" "cn.x ds.a1 ds.b1"
search --data-urlencode type=all --data-urlencode limit=2
is "limit=2" "$(jq -r . "$T/body" | wc -l)" 2

# --- GET /dids/: every scope ---
reqb POST /scopes/root/other ''
reqb POST /dids/other/ds.o1 '{"type": "DATASET", "meta": {"project": "p1"}}'
req GET /dids/ -G --data-urlencode project=p1
is "GET /dids/?project=p1: the DIDs of every scope, with their scope" "$STATUS $(jq -c '[.scope, .name]' "$T/body" | sort | paste -sd' ')" \
    '200 ["data","ds.a1"] ["data","ds.b1"] ["other","ds.o1"]'
req GET /dids/ -G --data-urlencode "filters=[{'project': 'p1'}]" --data-urlencode long=true
is "... the long form" "$(jq -c '[.scope, .name, .did_type]' "$T/body" | sort | paste -sd' ')" \
    '["data","ds.a1","DATASET"] ["data","ds.b1","DATASET"] ["other","ds.o1","DATASET"]'
req GET /dids/ -G --data-urlencode project=p1 --data-urlencode limit=2
is "... limit counts across scopes" "$(wc -l <"$T/body")" 2
req GET /dids/ -G --data-urlencode type=bag
ok "... an unknown type: 409 UnsupportedOperation" error_is 409 UnsupportedOperation

# --- the index follows the records ---
reqb POST /dids/data/ds.b1/meta '{"meta": {"energy": 99}}'
lit "[{'energy': 99}]"
is "a changed value is found" "$(names)" "ds.b1"
lit "[{'energy': 6.5}]"
is "... and the old one is not" "$STATUS:$(cat "$T/body")" "200:"
req DELETE "/dids/data/ds.b1/meta?key=energy"
lit "[{'energy.gt': 0}]"
is "a deleted key is not found" "$(names)" "ds.a1 ds.a2"

# --- errors ---
search --data-urlencode type=bag
ok "an unknown type: 409 UnsupportedOperation" error_is 409 UnsupportedOperation
lit "[{'type': 'bag'}]"
ok "... in a group too" error_is 409 UnsupportedOperation
lit "[{'a.b.c': 1}]"
ok "two operators: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[{'a.like': 1}]"
ok "an unknown operator: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[{'name.gt': 'x'}]"
ok "name with .gt: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[{'created_after': 'yesterday'}]"
ok "a date that is not one: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[{'created_after': '2020-01-01'}]"
ok "... a day without a time is not one of the formats: 400" error_is 400 DIDFilterSyntaxError
lit "[{'tag.gt': 'a*'}]"
ok "a wildcard with .gt: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[{'length': 'many'}]"
ok "a length that is not a number: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[{'tag': [1, 2]}]"
ok "a list as a value: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[{'created_after': '2020-01-01 00:00:00', 'created_at.gte': '2020-01-01 00:00:00'}]"
ok "the same key and operator twice: 400 DuplicateCriteriaInDIDFilter" error_is 400 DuplicateCriteriaInDIDFilter
lit "[{'a': 1}"
ok "a literal cut short: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "__import__('os')"
ok "code, not a literal: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "5"
ok "a number, not a list: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
lit "[5]"
ok "a list of numbers: 400 DIDFilterSyntaxError" error_is 400 DIDFilterSyntaxError
search --data-urlencode long=maybe
ok "long=maybe: 400 TypeError" error_is 400 TypeError
search --data-urlencode limit=x
ok "limit=x: 400 InvalidObject" error_is 400 InvalidObject
req GET /dids/nope/dids/search
is "an unknown scope: 200, empty" "$STATUS:$(cat "$T/body")" "200:"
req GET '/dids/b%20d/dids/search'
ok "a bad scope: 400 InvalidObject" error_is 400 InvalidObject
TOKEN=
search
ok "no token: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
TOKEN=$root

