#!/bin/sh
# 91-watchdog.t -- a backend stuck inside Berkeley DB (here: behind a lock
# that a stopped process holds, then a killed one) is ended by its request
# watchdog; the client gets a 503 with Retry-After from the backend itself,
# lighttpd starts a fresh backend, and once the lock holder is dead the
# store recovers and serves writes. A backend left waiting in a store that
# another process recovered under it answers 503 the same way.
. tests/smoke/lib.sh
export GRIDREST_REQUEST_TIMEOUT=3
# what Berkeley DB cannot give back after a recovery (recovery.supp)
[ -n "${GR_ASAN:-}" ] && export LSAN_OPTIONS="suppressions=$top/tests/smoke/recovery.supp"
server_start
login

# hold_lock: a process ($holder) takes a write lock in the accounts table
# and keeps it until it is killed
hold_lock() {
	"$B/tests/unit/test_store" --hold-accounts "$GRIDREST_HOME" 1 \
	    >"$T/hold.out" &
	holder=$!
	i=0
	while ! grep -q holding "$T/hold.out" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

hold_lock
ok "a process holds a write lock in the accounts table" grep -q holding "$T/hold.out"

start=$(date +%s)
reqb POST /accounts/blocked '{"type": "USER", "email": "b@example.org"}'
took=$(($(date +%s) - start))
echo "# blocked write answered $STATUS after ${took}s"
ok "the blocked write is answered 503 ServiceUnavailable by its backend" \
    error_is 503 ServiceUnavailable
is "... with Retry-After" "$(header Retry-After)" 1
ok "... and the request's id" nonempty "$(header X-Request-Id)"
ok_all "... after the watchdog's 3 s, not never" [ "$took" -ge 2 ] -- \
    [ "$took" -le 15 ]
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

# A backend waits for a lock; its holder is killed and another process
# recovers the store: the waiter's watchdog notices within two ticks, long
# before the request's timeout, and answers 503 itself before it exits.
export GRIDREST_REQUEST_TIMEOUT=60
server_stop
server_serve
login
hold_lock
ok "a process holds the lock again" grep -q holding "$T/hold.out"
# lock requests that waited, as the store counts them
lock_waits() {
	db5.3_stat -c -h "$GRIDREST_HOME/db" 2>/dev/null |
	    awk '/conflicts, for which we waited/ { print $1; exit }'
}
waits=$(lock_waits)
start=$(date +%s)
curl -sS --unix-socket "$GRIDREST_HTTP_BIND" -o "$T/stale.body" \
    -D "$T/stale.headers" -w '%{http_code}' -X POST \
    -H "X-Rucio-Auth-Token: $TOKEN" \
    --data-binary '{"type": "USER", "email": "s@example.org"}' \
    http://localhost/accounts/stale >"$T/stale.code" 2>/dev/null &
client=$!
# the backend waits for the lock once the store counts one more wait
i=0
while [ "$(lock_waits)" -le "$waits" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
ok "the backend waits for the held lock" [ "$(lock_waits)" -gt "$waits" ]
kill -9 "$holder"
wait "$holder" 2>/dev/null
"$B/gridrest-db" verify >"$T/verify2.out" 2>&1 # recovers the store
wait "$client"
took=$(($(date +%s) - start))
echo "# the waiting write answered $(cat "$T/stale.code") after ${took}s"
cp "$T/stale.body" "$T/body"
cp "$T/stale.headers" "$T/headers"
STATUS=$(cat "$T/stale.code")
ok "the waiter is answered 503 ServiceUnavailable" \
    error_is 503 ServiceUnavailable
is "... with Retry-After" "$(header Retry-After)" 1
ok "... saying the store was recovered" \
    matches "$(json .ExceptionMessage)" 'recovered'
ok "... within a few ticks, not the 60 s timeout" [ "$took" -le 20 ]
ok "the watchdog logged the recovery" \
    grep -q 'store was recovered while' "$GRIDREST_HOME/log/error.log"
reqb POST /accounts/stale '{"type": "USER", "email": "s@example.org"}'
is "the same write, sent again, succeeds" "$STATUS" 201
