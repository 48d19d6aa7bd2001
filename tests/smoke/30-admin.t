#!/bin/sh
# 30-admin.t -- gridrest-db beside a running server: a hot backup taken
# while writes go on restores into a home that serves what was committed;
# verify, dump and bootstrap behave.
. tests/smoke/lib.sh
server_start
login
db=$B/gridrest-db

i=1
while [ $i -le 20 ]; do
	reqb POST /accounts/before$i '{"type": "USER", "email": "b@example.org"}'
	i=$((i + 1))
done
is "20 accounts written" "$STATUS" 201

# writes continue while the backup runs
(
	trap - EXIT
	i=1
	while [ $i -le 40 ]; do
		curl -s --unix-socket "$GRIDREST_HTTP_BIND" -o /dev/null -X POST \
		    -H "X-Rucio-Auth-Token: $TOKEN" \
		    --data-binary '{"type": "USER", "email": "d@example.org"}' \
		    "http://localhost/accounts/during$i"
		i=$((i + 1))
	done
) &
writer=$!
"$db" backup "$T/backup" >"$T/backup.out" 2>&1
is "hot backup while writing: exit 0" "$?" 0
wait $writer
ok "backup holds the tables and the log" \
    sh -c "ls '$T/backup' | grep -q accounts.db && ls '$T/backup' | grep -q '^log\.'"
ok "... and no region files (recovered in a private environment)" \
    sh -c "! ls '$T/backup' | grep -q '^__db'"

# restore: the backup becomes the db/ of a new home
mkdir -p "$T/restored"
cp -a "$T/backup" "$T/restored/db"
GRIDREST_HOME=$T/restored "$db" verify >"$T/verify.out" 2>&1
ok "the restored store verifies" grep -q '^verify: ok' "$T/verify.out"
GRIDREST_HOME=$T/restored "$db" dump accounts >"$T/dump.out"
ok "every account written before the backup is in it" \
    [ "$(grep -c '"before[0-9]*"' "$T/dump.out")" -eq 20 ]
n=$(grep -c '"during[0-9]*"' "$T/dump.out")
echo "# $n of the 40 concurrent writes made it into the backup"
ok "... and none of them half" sh -c "jq -e '.value.status == \"ACTIVE\"' '$T/dump.out' >/dev/null"

# the live store is intact and complete
"$db" verify >"$T/verify2.out" 2>&1
ok "the live store verifies" grep -q '^verify: ok' "$T/verify2.out"
req GET '/accounts?account=during*'
is "all 40 concurrent writes are live" "$(grep -c . "$T/body")" 40

# bootstrap is idempotent and never changes a password
"$db" bootstrap >"$T/boot.out" 2>&1
ok "bootstrap again: root unchanged" grep -q 'password is unchanged' "$T/boot.out"
GRIDREST_ROOT_PASSWORD=other "$db" bootstrap >/dev/null 2>&1
login
is "the old password still works" "$STATUS" 200

"$db" dump nosuchtable >/dev/null 2>&1
is "dump of an unknown table: exit 2" "$?" 2
"$db" frobnicate >/dev/null 2>&1
is "unknown command: exit 2" "$?" 2
"$db" tables >"$T/tables.out"
ok "tables lists accounts" grep -q '^accounts.db' "$T/tables.out"
