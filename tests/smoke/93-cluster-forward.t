#!/bin/sh
# 93-cluster-forward.t -- every node of a group answers every route
# (scripts/cluster-local, three nodes): a write through a replica is
# forwarded to the master and answered as the master answered it, after
# the replica applied it; a multi-MB body streams through; the master's
# 4xx passes back unchanged; a read with the write's X-Gridrest-Commit
# sees it through the other replica; a login, a token and its revocation
# work through any node; a request forwarded once is not forwarded again.
. tests/smoke/lib.sh

cluster_init
export GRIDREST_MAX_BODY=16777216 GRIDREST_MAX_REQUEST=16384
absent() { ! matches "$@"; }

cluster_start3

# a login through a replica: the token is a write, made on the master
BASE=$(node "$r1")
VIA=
login
ok "root logs in through replica $r1" nonempty "$TOKEN"
on "$r1" GET /accounts/root
is "... and the token works there at once" "$(json .account)" root

# a write through a replica: forwarded, answered 201, readable at once
on "$r1" POST /accounts/root/scopes/fwd -H 'Content-Type:' --data-binary ''
is "POST /accounts/root/scopes/fwd through replica $r1: 201" "$STATUS" 201
ok "... with the master's commit token" \
    matches "$(header X-Gridrest-Commit)" '^[0-9a-f]{40}$'
commit=$(header X-Gridrest-Commit)
on "$r1" GET /scopes/
ok "... and the scope is listed on $r1 right after" \
    matches "$(cat "$T/body")" '"fwd"'
on "$r2" GET /scopes/ -H "X-Gridrest-Commit: $commit"
ok "... and on $r2 given the commit token" \
    matches "$(cat "$T/body")" '"fwd"'

# a multi-MB body streams through the replica to the master
# (1000 datasets, the most one POST takes, spaced out to 3 MB)
pad=$(printf '%3000s' '')
jq -nc '[range(1000) | {scope: "fwd", type: "DATASET",
    name: ("big-" + (. | tostring) + "-" + ("x" * 200))}]' |
    sed "s/},{/},$pad{/g" >"$T/big.json"
size=$(wc -c <"$T/big.json")
ok "a body of ${size} bytes (over 2 MB)" test "$size" -gt 2097152
on "$r2" POST /dids --data-binary "@$T/big.json" -H 'Content-Type:'
is "POST /dids of 1000 datasets through replica $r2: 201" "$STATUS" 201
commit=$(header X-Gridrest-Commit)
x200=$(printf 'x%.0s' $(seq 200))
on "$r2" GET "/dids/fwd/big-999-$x200"
is "... the last reads on $r2 right after" "$STATUS" 200
on "$r1" GET "/dids/fwd/big-0-$x200" -H "X-Gridrest-Commit: $commit"
is "... the first on $r1 given the commit token" "$STATUS" 200
on "$m" GET '/dids/fwd/dids/search?type=dataset&name=big-*' \
    -H 'Accept: application/x-json-stream'
is "... and the master lists all 1000" "$(grep -c big- "$T/body")" 1000

# the master's error comes back as it was: status, class, message
on "$r1" POST /accounts/root/scopes/fwd -H 'Content-Type:' --data-binary ''
ok "a duplicate scope through $r1: the master's 409" \
    error_is 409 Duplicate
on "$m" POST /accounts/root/scopes/fwd -H 'Content-Type:' --data-binary ''
master_msg=$(json .ExceptionMessage)
on "$r1" POST /accounts/root/scopes/fwd -H 'Content-Type:' --data-binary ''
is "... with the master's own message" "$(json .ExceptionMessage)" \
    "$master_msg"
on "$r2" POST /accounts/nobody/scopes/x -H 'Content-Type:' \
    --data-binary ''
ok "a scope for a missing account through $r2: 404 AccountNotFound" \
    error_is 404 AccountNotFound
TOKEN=bogus
on "$r1" POST /accounts/root/scopes/other -H 'Content-Type:' --data-binary ''
ok "a bad token through $r1: the master's 401" \
    error_is 401 CannotAuthenticate
BASE=$(node "$r1")
login

# tokens and their revocation across nodes
on "$r2" POST /accounts/jdoe -H 'Content-Type:' \
    --data-binary '{"type": "USER", "email": "jdoe@example.org"}'
is "POST /accounts/jdoe through $r2: 201" "$STATUS" 201
on "$r2" POST /accounts/jdoe/identities -H 'Content-Type:' \
    --data-binary '{"identity": "jdoe", "authtype": "userpass",
    "email": "jdoe@example.org", "password": "pw-jdoe", "default": true}'
is "... its userpass identity: 201" "$STATUS" 201
root_token=$TOKEN
BASE=$(node "$r2")
login jdoe jdoe pw-jdoe
ok "jdoe logs in through $r2" nonempty "$TOKEN"
jdoe_token=$TOKEN
on "$r1" GET /accounts/jdoe -H "X-Gridrest-Commit: $(header X-Gridrest-Commit)"
is "... the token works on $r1" "$(json .account)" jdoe
TOKEN=$root_token
on "$r1" DELETE /accounts/jdoe
is "DELETE /accounts/jdoe through $r1: 200" "$STATUS" 200
commit=$(header X-Gridrest-Commit)
TOKEN=$jdoe_token
on "$r2" GET /accounts/jdoe -H "X-Gridrest-Commit: $commit"
ok "... jdoe's token is refused on $r2 after" \
    error_is 401 CannotAuthenticate
on "$r1" GET /accounts/jdoe
ok "... and on $r1" error_is 401 CannotAuthenticate
TOKEN=$root_token

# a request forwarded once is not forwarded again
on "$r1" POST /accounts/root/scopes/loop -H 'Content-Type:' --data-binary '' \
    -H 'X-Gridrest-Forwarded: 127.0.0.99:1'
ok "a forwarded write reaching a replica: 503" \
    error_is 503 ResourceTemporaryUnavailable
ok "... saying it is not forwarded twice" \
    matches "$(json .ExceptionMessage)" "not forwarded twice"
is "... with Retry-After" "$(header Retry-After)" 1
on "$m" GET /scopes/
ok "... and nothing written" absent "$(cat "$T/body")" '"loop"'

# with no master in the group, a replica answers 503 with Retry-After
# (the other replica first, so that no new master can be elected)
cl kill "$r2"
cl kill "$m"
on "$r1" POST /accounts/root/scopes/nomaster -H 'Content-Type:' --data-binary ''
ok "with no master: a write through a replica is 503" \
    error_is 503 ResourceTemporaryUnavailable
is "... with Retry-After" "$(header Retry-After)" 1

exit 0
