#!/bin/sh
# 91-watchdog.t -- a backend stuck inside Berkeley DB (here: behind a lock
# that a stopped process holds, then a killed one) is ended by its request
# watchdog; the client gets a JSON error, lighttpd starts a fresh backend,
# and once the lock holder is dead the store recovers and serves writes.
. tests/smoke/lib.sh
export GRIDREST_REQUEST_TIMEOUT=3
# what Berkeley DB cannot give back after a recovery (recovery.supp)
[ -n "${GR_ASAN:-}" ] && export LSAN_OPTIONS="suppressions=$top/tests/smoke/recovery.supp"
server_start
login

"$B/tests/unit/test_store" --hold-accounts "$GRIDREST_HOME" 1 >"$T/hold.out" &
holder=$!
i=0
while ! grep -q holding "$T/hold.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
ok "a process holds a write lock in the accounts table" grep -q holding "$T/hold.out"

start=$(date +%s)
reqb POST /accounts/blocked '{"type": "USER", "email": "b@example.org"}'
took=$(($(date +%s) - start))
echo "# blocked write answered $STATUS after ${took}s"
ok "the blocked write fails with a 5xx" [ "$STATUS" -ge 500 ]
ok_all "... after the watchdog's 3 s, not never" [ "$took" -ge 2 ] -- \
    [ "$took" -le 15 ]
ok "... with a JSON ExceptionClass" nonempty "$(json .ExceptionClass)"
ok "the watchdog said so in the error log" \
    grep -q 'outlived GRIDREST_REQUEST_TIMEOUT' "$GRIDREST_HOME/log/error.log"
req GET /ping
is "the service still answers" "$STATUS" 200

kill -9 "$holder"
wait "$holder" 2>/dev/null
# the next backend to open the store recovers it; writes succeed again
code=
i=0
while [ "$code" != 201 ] && [ $i -lt 10 ]; do
	reqb POST /accounts/after '{"type": "USER", "email": "a@example.org"}'
	code=$STATUS
	i=$((i + 1))
done
echo "# the write succeeded at attempt $i"
is "after the holder died, writes succeed" "$code" 201
req GET /accounts/blocked
ok "the blocked write left nothing" error_is 404 AccountNotFound
req GET /accounts
ok "the holder's uncommitted record is gone" sh -c "! grep -q '~held' '$T/body'"
"$B/gridrest-db" verify >"$T/verify.out" 2>&1
ok "the store verifies" grep -q '^verify: ok' "$T/verify.out"
