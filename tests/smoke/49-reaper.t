#!/bin/sh
# 49-reaper.t -- deletion: the reaper (gridrest-reaper, started when a
# rule's deletion leaves replicas with a tombstone) deletes them from
# storage and catalogue: at once on a greedy RSE and for purge_replicas,
# elsewhere only below MinFreeSpace, oldest tombstone first; a file
# already gone is no error; WebDAV storage too; the RSE's and the
# account's usage right after; a reaper killed -9 leaves nothing behind;
# hostile prefixes and links never make it delete outside the RSE.
export GRIDREST_REAPER_START=1 GRIDREST_REAPER_IDLE=2 \
    GRIDREST_REAPER_INTERVAL=1 GRIDREST_REAPER_RETRY=1
. tests/smoke/lib.sh
server_start
login
webdav_start
lock=$GRIDREST_HOME/db/reaper.lock

dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
for r in GREEDY SPACE; do
	reqb POST "/rses/$r" '{}'
	reqb POST "/rses/$r/protocols/file" "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/$r\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
done
reqb POST /rses/DAV1 '{}'
reqb POST /rses/DAV1/protocols/davs "{\"hostname\": \"localhost\", \"port\": $DAV_PORT, \"prefix\": \"/rucio\", \"impl\": \"rucio.rse.protocols.webdav.Default\", $dom}"
is "three RSEs with protocols" "$STATUS" 201
reqb POST /rses/GREEDY/attr/greedyDeletion '{"value": true}'
is "GREEDY deletes greedily: 201" "$STATUS" 201
reqb POST /rses/DAV1/attr/greedyDeletion '{"value": "True"}'
reqb POST /scopes/root/data ''

pfn() {
	req GET "/rses/$1/lfns2pfns?lfn=data:$2"
	json ".\"data:$2\""
}
path() {
	printf '%s' "${1#file://localhost:0}"
}
# put RSE NAME BYTES: NAME (random bytes) stored on RSE and registered
put() {
	local p f
	f=$T/$2
	head -c "$3" /dev/urandom >"$f"
	p=$(pfn "$1" "$2")
	case $p in
	file://*)
		mkdir -p "$(dirname "$(path "$p")")"
		cp "$f" "$(path "$p")" ;;
	*)
		dav_mkcols "$p"
		curl -sS --http1.1 --cacert "$GRIDREST_HOME/tls/ca.pem" -T "$f" \
		    "https${p#davs}" -o /dev/null ;;
	esac
	reqb POST /replicas "{\"rse\": \"$1\", \"files\": [{\"scope\": \"data\", \"name\": \"$2\", \"bytes\": $3}]}"
}
# where RSE NAME: the file's place on disk (posix or the WebDAV server's)
where() {
	local p
	p=$(pfn "$1" "$2")
	case $p in
	file://*) path "$p" ;;
	*) dav_file "$p" ;;
	esac
}
# drop [BODY]: delete the rule $RULE
drop() {
	reqb DELETE "/rules/$RULE" "${1:-{\}}"
}
# states NAME: the replicas' states, every state ("RSE=STATE" sorted)
states() {
	reqb POST /replicas/list "{\"dids\": [{\"scope\": \"data\", \"name\": \"$1\"}], \"all_states\": true}"
	json -c '[.states // {} | to_entries[] | .key + "=" + .value] | sort'
}
# gone NAME RSE: wait (up to 15 s) until NAME has no replica on RSE
gone() {
	local i
	i=0
	while [ $i -lt 75 ]; do
		case $(states "$1") in
		*\""$2"=*) ;;
		*) return 0 ;;
		esac
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# usage RSE: the rucio source's "files bytes"
usage() {
	req GET "/rses/$1/usage?source=rucio"
	json -r '"\(.files) \(.used)"'
}
# account_usage RSE: root's "files bytes" there (none listed: no usage)
account_usage() {
	req GET "/accounts/root/usage/local/$1"
	jq -rs 'if length == 0 then "0 0" else .[0] | "\(.files) \(.bytes)" end' \
	    "$T/body"
}

# --- greedy ---------------------------------------------------------------
put GREEDY g1 1000
put GREEDY g2 3000
is "two files on GREEDY" "$(usage GREEDY)" "2 4000"
rule g1 GREEDY
is "a rule on g1: OK" "$STATUS" 201
is "... root uses 1000 bytes there" "$(account_usage GREEDY)" "1 1000"
g1=$(where GREEDY g1)
# setting greedyDeletion started a reaper (it found nothing): it leaves
i=0
until flock -n "$lock" true || [ $i -ge 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
ok "an idle reaper leaves (GRIDREST_REAPER_IDLE)" flock -n "$lock" true
: >"$lock"
drop
is "the rule deleted (no purge): 200" "$STATUS" 200
ok "... g1 goes from the catalogue" gone g1 GREEDY
ok "... a reaper ran" [ -s "$lock" ]
ok "... and from the disk" [ ! -e "$g1" ]
is "... the RSE's usage right after" "$(usage GREEDY)" "1 3000"
is "... root's usage" "$(account_usage GREEDY)" "0 0"
ok "... g2 (never locked, no tombstone) stays" [ -e "$(where GREEDY g2)" ]
is "... and its replica" "$(states g2)" '["GREEDY=AVAILABLE"]'

# --- a file already gone from disk ----------------------------------------
put GREEDY m1 500
rm -f "$(where GREEDY m1)"
rule m1 GREEDY
drop
ok "a file missing on disk: its replica goes all the same" gone m1 GREEDY
is "... the usage follows" "$(usage GREEDY)" "1 3000"

# --- a non-greedy RSE: only purge_replicas at once ------------------------
put SPACE old 1000
put SPACE new 1000
put SPACE p1 1000
rule old SPACE
drop
sleep 1.1 # a later tombstone
rule new SPACE
drop
rule p1 SPACE
drop '{"purge_replicas": true}'
is "a rule deleted with purge_replicas: 200" "$STATUS" 200
ok "... its replica goes" gone p1 SPACE
ok "... from the disk" [ ! -e "$(where SPACE p1)" ]
is "the others (tombstones, no limit) stay" \
    "$(states old) $(states new)" '["SPACE=AVAILABLE"] ["SPACE=AVAILABLE"]'
is "... usage" "$(usage SPACE)" "2 2000"

# --- space mode: MinFreeSpace ---------------------------------------------
reqb PUT /rses/SPACE/usage '{"source": "storage", "used": 100000, "free": 9500}'
is "the storage's figures: 200" "$STATUS" 200
reqb PUT /rses/SPACE/limits '{"name": "MinFreeSpace", "value": 10000}'
is "MinFreeSpace 10000 with 9500 free: 200" "$STATUS" 200
ok "... the oldest tombstone goes" gone old SPACE
ok "... from the disk" [ ! -e "$(where SPACE old)" ]
is "... the newer one stays (500 bytes were lacking)" "$(states new)" \
    '["SPACE=AVAILABLE"]'
req GET /rses/SPACE/usage?source=storage
is "... the storage's figures follow" "$(json -c '[.used, .free]')" \
    '[99000,10500]'
is "... the replicas' usage" "$(usage SPACE)" "1 1000"
reqb PUT /rses/SPACE/usage '{"source": "storage", "used": 100000, "free": 9999}'
ok "less free space again: the newer one goes" gone new SPACE
reqb DELETE /rses/SPACE/limits '{"name": "MinFreeSpace"}'

# --- WebDAV ---------------------------------------------------------------
put DAV1 w1 2000
w1=$(where DAV1 w1)
ok "w1 on the WebDAV server" [ -e "$w1" ]
rule w1 DAV1
drop '{"purge_replicas": true}'
ok "a WebDAV replica: deleted" gone w1 DAV1
ok "... with DELETE on the server" [ ! -e "$w1" ]
is "... usage" "$(usage DAV1)" "0 0"

# --- a reaper killed -9 --------------------------------------------------
# SLOW: a WebDAV RSE whose server takes the connection and never answers,
# so that the reaper waits in its first DELETE with its replicas marked
slow=$(free_port 1)
python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("up", flush=True)
c = [s.accept()]
time.sleep(120)' "$slow" >"$T/slow.out" 2>&1 &
spid=$!
until [ -s "$T/slow.out" ]; do sleep 0.05; done
reqb POST /rses/SLOW '{}'
reqb POST /rses/SLOW/protocols/davs "{\"hostname\": \"localhost\", \"port\": $slow, \"prefix\": \"/rucio\", \"impl\": \"rucio.rse.protocols.webdav.Default\", $dom}"
reqb POST /rses/SLOW/attr/greedyDeletion '{"value": true}'
reqb POST /dids/data/ds '{"type": "DATASET"}'
i=0
files=
while [ $i -lt 50 ]; do
	files="$files{\"scope\": \"data\", \"name\": \"k$i\", \"bytes\": 10},"
	i=$((i + 1))
done
reqb POST /replicas "{\"rse\": \"SLOW\", \"files\": [${files%,}]}"
is "50 replicas on SLOW" "$STATUS" 201
reqb POST /dids/data/ds/dids "{\"dids\": [$(printf '%s' "${files%,}" | sed 's/, "bytes": 10//g')]}"
rule ds SLOW
i=0
until flock -n "$lock" true || [ $i -ge 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "the previous reaper left" flock -n "$lock" true
drop '{"purge_replicas": true}'
i=0
until [ "$(states k49)" = '["SLOW=BEING_DELETED"]' ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "the reaper marked them BEING_DELETED" "$(states k0) $(states k49)" \
    '["SLOW=BEING_DELETED"] ["SLOW=BEING_DELETED"]'
pid=$(cat "$lock")
is "... it waits in its DELETE, visible in ps" "$(ps -o comm= -p "$pid")" \
    gridrest-reaper
kill -9 "$pid"
kill "$spid"
wait "$spid" 2>/dev/null
# the storage answers now (the files are not there: no error)
reqb PUT "/rses/SLOW/protocols/davs/localhost/$slow" "{\"port\": $DAV_PORT}"
is "SLOW's protocol moved to the real server: 200" "$STATUS" 200
ok "a reaper killed -9; the next one takes its replicas again" gone k49 SLOW
is "... every one" "$(usage SLOW)" "0 0"
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "ds"}], "all_states": true}'
is "... no replica left" "$STATUS $(jq -s 'map(.states | length) | add // 0' "$T/body")" "200 0"

# --- hostile prefixes and links -------------------------------------------
# a prefix with ".." in it: its PFNs are refused, nothing is deleted
mkdir -p "$T/victim"
reqb POST /rses/EVIL '{}'
reqb POST /rses/EVIL/protocols/file "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/EVIL/../victim\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
is "an RSE whose prefix holds '..'" "$STATUS" 201
reqb POST /rses/EVIL/attr/greedyDeletion '{"value": true}'
put EVIL e1 100
e1=$(path "$(pfn EVIL e1)")
ok "... a file there (in $T/victim)" [ -e "$T/victim/${e1#*/victim/}" ]
rule e1 EVIL
drop
i=0
until [ "$(states e1)" != '["EVIL=AVAILABLE"]' ] || [ $i -ge 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "... its replica stays BEING_DELETED" "$(states e1)" '["EVIL=BEING_DELETED"]'
ok "... its file untouched" [ -e "$T/victim/${e1#*/victim/}" ]
ok "... the reason logged" \
    grep -q "reaper: EVIL: PFN with '.' or '..'" "$GRIDREST_HOME/log/error.log"
# a link in the RSE's tree to a directory outside it
put GREEDY h1 100
h1=$(where GREEDY h1)
dir=$(dirname "$h1")
mkdir -p "$T/outside"
cp "$h1" "$T/outside/"
rm -rf "$dir"
ln -s "$T/outside" "$dir"
rule h1 GREEDY
drop
i=0
until [ "$(states h1)" != '["GREEDY=AVAILABLE"]' ] || [ $i -ge 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "a link out of the prefix: the replica stays BEING_DELETED" \
    "$(states h1)" '["GREEDY=BEING_DELETED"]'
ok "... the file outside untouched" [ -e "$T/outside/$(basename "$h1")" ]
# a name that climbs out of the RSE's tree (DID names may hold "/" and "..")
n=h/../../../../../outside/n2
p=$(path "$(pfn GREEDY "$n")")
mkdir -p "${p%%/h/..*}/h"
: >"$T/outside/n2"
ok "a name with '..': its PFN would reach $T/outside/n2" [ -e "$p" ]
reqb POST /replicas "{\"rse\": \"GREEDY\", \"files\": [{\"scope\": \"data\", \"name\": \"$n\", \"bytes\": 10}]}"
is "... registered: 201" "$STATUS" 201
rule "$n" GREEDY
drop
i=0
until [ "$(states "$n")" != '["GREEDY=AVAILABLE"]' ] || [ $i -ge 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "... the replica stays BEING_DELETED" "$(states "$n")" \
    '["GREEDY=BEING_DELETED"]'
ok "... the file outside untouched" [ -e "$T/outside/n2" ]
