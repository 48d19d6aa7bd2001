#!/bin/sh
# 49-transfers.t -- rules that move bytes: the mover (gridrest-mover,
# started by POST /rules) copies between two posix RSEs and a real WebDAV
# one (scripts/webdav-rse), checks size and adler32, and the replica goes
# AVAILABLE and the rule OK; a corrupted or missing source leaves the rule
# STUCK with the reason after the attempts; a source is chosen by
# distance; a mover killed -9 mid-copy leaves no half file and the next
# one completes the request; a worker killed -9 has its claim queued again
# by its supervisor; the rule evaluator's requests start a mover too; a
# destination that refuses writes leaves the rule STUCK with the reason
# after the attempts; hostile names, prefixes and links never write
# outside the destination RSE's prefix.
export GRIDREST_MOVER_START=1 GRIDREST_MOVER_RETRY=1 GRIDREST_MOVER_ATTEMPTS=3 \
    GRIDREST_MOVER_IDLE=2
. tests/smoke/lib.sh
server_start
login
webdav_start
lock=$GRIDREST_HOME/db/mover.lock

# the storage: two posix RSEs and the WebDAV one
dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
for r in POSIX_A POSIX_B; do
	reqb POST "/rses/$r" '{}'
	reqb POST "/rses/$r/protocols/file" "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/$r\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
done
reqb POST /rses/DAV1 '{}'
reqb POST /rses/DAV1/protocols/davs "{\"hostname\": \"localhost\", \"port\": $DAV_PORT, \"prefix\": \"/rucio\", \"impl\": \"rucio.rse.protocols.webdav.Default\", $dom}"
is "three RSEs with protocols" "$STATUS" 201
reqb POST /scopes/root/data ''

# pfn RSE NAME, put RSE NAME FILE [ADLER32]: lib.sh's, in scope data
pfn() {
	rse_pfn "$1" data "$2"
}
put() {
	rse_put "$1" data "$2" "$3" ${4:+"$4"}
}
path() {
	posix_path "$1"
}
# settle: wait (up to 30 s) until the rule $RULE is neither REPLICATING nor
# INJECT (an asynchronous rule the evaluator has not reached yet)
settle() {
	local i
	i=0
	while [ $i -lt 150 ]; do
		req GET "/rules/$RULE"
		case $(json .state) in
		REPLICATING | INJECT) ;; # copying, or not evaluated yet
		*) return 0 ;;
		esac
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

head -c 3000000 /dev/urandom >"$T/f1"
put POSIX_A f1 "$T/f1"
is "f1 on POSIX_A" "$STATUS" 201

# --- posix -> posix -------------------------------------------------------
rule f1 POSIX_B
is "a rule to POSIX_B: 201" "$STATUS" 201
i=0
until [ -s "$lock" ] || [ $i -ge 50 ]; do # started after the response
	sleep 0.1
	i=$((i + 1))
done
ok "... a mover started" [ -s "$lock" ]
settle
is "... OK once the mover copied" "$(json -c '[.state, .locks_ok_cnt]')" '["OK",1]'
b=$(path "$(pfn POSIX_B f1)")
ok "... the file on POSIX_B, byte for byte" cmp -s "$T/f1" "$b"
ok "... no temporary left" [ -z "$(find "$T/POSIX_B" -name '*gridrest-part*')" ]
reqb POST /replicas/list '{"dids": [{"scope": "data", "name": "f1"}]}'
is "... the replica AVAILABLE on both" \
    "$(json -c '.states | to_entries | map(.key + "=" + .value) | sort')" \
    '["POSIX_A=AVAILABLE","POSIX_B=AVAILABLE"]'

# --- posix -> WebDAV, WebDAV -> posix ---------------------------------------
rule f1 DAV1
settle
is "a rule to the WebDAV RSE: OK" "$(json .state)" OK
d=$(dav_file "$(pfn DAV1 f1)")
ok "... the file on the WebDAV server" cmp -s "$T/f1" "$d"
head -c 100000 /dev/urandom >"$T/f2"
put DAV1 f2 "$T/f2"
is "f2 only on DAV1" "$STATUS" 201
rule f2 POSIX_A
settle
is "a rule from WebDAV to POSIX_A: OK" "$(json .state)" OK
ok "... the file on POSIX_A" cmp -s "$T/f2" "$(path "$(pfn POSIX_A f2)")"

# --- a corrupted and a missing source: STUCK after the attempts -----------
printf 'not what was registered' >"$T/f3"
put POSIX_A f3 "$T/f3" 00000001
rule f3 POSIX_B
settle
is "a corrupted source: the rule STUCK" "$(json .state)" STUCK
ok "... with the reason in its error" matches "$(json .error)" 'checksum mismatch'
req GET "/rules/$RULE/analysis"
is "... analysis: 3 attempts, the last error" \
    "$(json -c '[.transfers[0].attempts, (.transfers[0].last_error | test("checksum mismatch"))]')" \
    '[3,true]'
ok "... nothing under the final name on POSIX_B" \
    [ ! -e "$(path "$(pfn POSIX_B f3)")" ]
# the request routes (Rucio's RequestClient)
req GET /requests/data/f3/POSIX_B
is "GET /requests/{scope}/{name}/{rse}: the failed request" \
    "$(json -c '[.state, .retry_count, .source_rse, .dest_rse, .scope, .name, .request_type, (.err_msg | test("checksum mismatch")), .rule_id == "'"$RULE"'"]')" \
    '["FAILED",3,"POSIX_A","POSIX_B","data","f3","TRANSFER",true,true]'
req GET /requests/data/f1/POSIX_B
ok "... a done one is gone: 404 RequestNotFound" error_is 404 RequestNotFound
req GET /requests/data/f3/NOWHERE
ok "... an unknown RSE: 404 RSENotFound" error_is 404 RSENotFound
req GET '/requests/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=F,Q'
is "GET /requests/list: a stream of the failed one" \
    "$(header Content-Type) $(jq -sc 'map(.name)' "$T/body")" \
    'application/x-json-stream ["f3"]'
req GET '/requests/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=QUEUED'
is "... none queued" "$STATUS $(wc -c <"$T/body")" "200 0"
req GET '/requests/list?src_rse=POSIX_A&dst_rse=POSIX_B'
ok "... without states: 400 MissingParameter" error_is 400 MissingParameter
req GET '/requests/list?src_rse=POSIX_A&request_states=F'
ok "... one RSE of the two: 400 MissingParameter" error_is 400 MissingParameter
req GET '/requests/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=X'
ok "... an unknown state: 400 Invalid" error_is 400 Invalid
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
reqb POST /accounts/jdoe/identities '{"identity": "jdoe", "authtype": "USERPASS", "email": "jdoe@example.org", "password": "pw"}'
admin=$TOKEN
login jdoe jdoe pw
user=$TOKEN
req GET '/requests/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=F'
ok "... a user: 401 AccessDenied" error_is 401 AccessDenied
req GET /requests/data/f3/POSIX_B
is "... who may read one request" "$STATUS" 200
TOKEN=
req GET /requests/data/f3/POSIX_B
is "... without a token: 401" "$STATUS" 401
TOKEN=$admin

# the history forms: requests as they ended
req GET /requests/history/data/f1/POSIX_B
is "GET /requests/history/{scope}/{name}/{rse}: the done request" \
    "$(json -c '[.state, .retry_count, .source_rse, .dest_rse, .name, .request_type, .transferred_at != null, .err_msg]')" \
    '["DONE",0,"POSIX_A","POSIX_B","f1","TRANSFER",true,null]'
req GET /requests/history/data/f3/POSIX_B
is "... the failed one, as it failed" \
    "$(json -c '[.state, .retry_count, (.err_msg | test("checksum mismatch")), .rule_id == "'"$RULE"'"]')" \
    '["FAILED",3,true,true]'
req GET /requests/history/data/f2/POSIX_B
ok "... a file never sent there: 404 RequestNotFound" error_is 404 RequestNotFound
req GET /requests/history/data/f1/NOWHERE
ok "... an unknown RSE: 404 RSENotFound" error_is 404 RSENotFound
req GET '/requests/history/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=DONE'
is "GET /requests/history/list: a stream of the done one" \
    "$(header Content-Type) $(jq -sc 'map([.name, .state])' "$T/body")" \
    'application/x-json-stream [["f1","DONE"]]'
req GET '/requests/history/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=D,F'
is "... done and failed" "$(jq -sc 'map(.name) | sort' "$T/body")" '["f1","f3"]'
all=$(jq -sc 'map(.name)' "$T/body")
req GET '/requests/history/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=D,F&limit=1'
first=$(jq -sc 'map(.name)' "$T/body")
req GET '/requests/history/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=D,F&offset=1&limit=1'
is "... limit and offset page through them" \
    "$(printf '%s %s' "$first" "$(jq -sc 'map(.name)' "$T/body")" | jq -sc 'add')" "$all"
req GET '/requests/history/list?src_rse=DAV1&dst_rse=POSIX_B&request_states=D,F'
is "... from another source: none" "$STATUS $(wc -c <"$T/body")" "200 0"
req GET '/requests/history/list?src_rse=POSIX_A&dst_rse=POSIX_B'
ok "... without states: 400 MissingParameter" error_is 400 MissingParameter
req GET '/requests/history/list?dst_rse=POSIX_B&request_states=D'
ok "... one RSE of the two: 400 MissingParameter" error_is 400 MissingParameter
req GET '/requests/history/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=DONE,X'
ok "... an unknown state: 400 Invalid" error_is 400 Invalid
# by site (the RSE attribute "site", as upstream): POSIX_A and DAV1 at
# one, POSIX_B at another
reqb POST /rses/POSIX_A/attr/site '{"value": "CERN"}'
reqb POST /rses/DAV1/attr/site '{"value": "CERN"}'
reqb POST /rses/POSIX_B/attr/site '{"value": "DESY"}'
req GET '/requests/list?src_site=CERN&dst_site=DESY&request_states=F'
is "GET /requests/list by site: the failed one" \
    "$STATUS $(jq -sc 'map([.name, .source_rse, .dest_rse])' "$T/body")" \
    '200 [["f3","POSIX_A","POSIX_B"]]'
req GET '/requests/list?src_site=DESY&dst_site=CERN&request_states=F'
is "... the other way: none" "$STATUS $(wc -c <"$T/body")" "200 0"
req GET '/requests/list?src_site=CERN&dst_site=DESY&src_rse=DAV1&dst_rse=POSIX_A&request_states=F'
is "... sites win over RSEs" "$(jq -sc 'map(.name)' "$T/body")" '["f3"]'
req GET '/requests/list?src_site=CERN&request_states=F'
ok "... one site of the two: 400 MissingParameter" error_is 400 MissingParameter
ok "... Destination site is missing" matches "$(json .ExceptionMessage)" \
    'Destination site is missing'
req GET '/requests/list?dst_site=DESY&request_states=F'
ok "... the other one: 400 MissingParameter" error_is 400 MissingParameter
req GET '/requests/list?src_site=CERN&dst_site=NOWHERE&request_states=F'
ok "... a site no RSE has: 404 NotFound" error_is 404 NotFound
ok "... named in the message" matches "$(json .ExceptionMessage)" \
    'Could not resolve site name NOWHERE to RSE'
req GET '/requests/history/list?src_site=CERN&dst_site=DESY&request_states=D,F'
is "GET /requests/history/list by site: done and failed" \
    "$(jq -sc 'map(.name) | sort' "$T/body")" '["f1","f3"]'
req GET '/requests/history/list?src_site=CERN&dst_site=DESY&request_states=D,F&offset=1&limit=1'
is "... paged" "$(jq -sc 'length' "$T/body")" 1
req GET '/requests/history/list?src_site=DESY&dst_site=NOWHERE&request_states=D'
ok "... a site no RSE has: 404 NotFound" error_is 404 NotFound
TOKEN=$user
req GET /requests/history/data/f1/POSIX_B
ok "... a user may not read the history: 401 AccessDenied" error_is 401 AccessDenied
req GET '/requests/history/list?src_rse=POSIX_A&dst_rse=POSIX_B&request_states=D'
ok "... nor list it" error_is 401 AccessDenied
req GET '/requests/list?src_site=CERN&dst_site=DESY&request_states=F'
ok "... nor list requests by site" error_is 401 AccessDenied
TOKEN=$admin

printf 'gone' >"$T/f4"
put POSIX_A f4 "$T/f4"
rm "$(path "$(pfn POSIX_A f4)")"
rule f4 DAV1
settle
is "a missing source: STUCK" "$(json .state)" STUCK
ok "... source missing" matches "$(json .error)" 'source missing'

# --- the source by distance ---------------------------------------------
# f5 on POSIX_A is damaged: read from there first, the copy would fail
# once (the mover logs each failed attempt) before the next source
head -c 5000 /dev/urandom >"$T/f5"
head -c 5000 /dev/urandom >"$T/f5bad"
put POSIX_A f5 "$T/f5bad" "$(adler "$T/f5")"
put DAV1 f5 "$T/f5"
reqb POST /rses/POSIX_A/distances/POSIX_B '{"distance": 10}'
reqb POST /rses/DAV1/distances/POSIX_B '{"distance": 1}'
is "distances set" "$STATUS" 201
rule f5 POSIX_B
settle
is "f5 to POSIX_B: OK" "$(json .state)" OK
ok "... the good copy" cmp -s "$T/f5" "$(path "$(pfn POSIX_B f5)")"
ok "... read from DAV1, the nearer, at the first attempt" \
    sh -c '! grep -q "mover: data:f5 " "$1"' sh "$GRIDREST_HOME/log/error.log"

# --- a mover killed -9 mid-copy ---------------------------------------------
# copying NAME: wait (up to 4 s) until NAME's temporary on POSIX_B grows;
# $i below 200 when it did
copying() {
	i=0
	until [ -n "$(find "$T/POSIX_B" -name ".$1.gridrest-part" -size +1k 2>/dev/null)" ] ||
	    [ $i -ge 200 ]; do
		sleep 0.02
		i=$((i + 1))
	done
}
head -c 300000000 /dev/zero >"$T/big"
put POSIX_A big "$T/big"
rule big POSIX_B
final=$(path "$(pfn POSIX_B big)")
copying big
pid=$(cat "$lock")
kill -9 "$pid"
ok "the mover killed mid-copy (pid $pid)" [ $i -lt 200 ]
sleep 0.2
ok "... no file under the final name" [ ! -e "$final" ]
req GET "/rules/$RULE"
is "... the rule still REPLICATING" "$(json .state)" REPLICATING
"$B/gridrest-mover" 2>"$T/mover.err" &
mpid=$!
settle
is "... the next mover completes it" "$(json .state)" OK
ok "... having queued the claimed request again" \
    grep -q '1 requests of a previous mover queued again' "$T/mover.err"
ok "... the whole file" cmp -s "$T/big" "$final"
ok "... its temporary gone" [ -z "$(find "$T/POSIX_B" -name '*gridrest-part*')" ]
wait $mpid
is "the mover leaves when idle" "$?" 0

# --- a worker killed -9 mid-copy: its supervisor queues its claim again ---
# The worker killed is the one holding the file's temporary open. On a busy
# machine the copy may end between the look and the kill (the rule OK at
# once, nothing to queue again): such a try does not count, the next file
# is tried, up to 5.
head -c 200000000 /dev/zero >"$T/big2"
a=$(adler "$T/big2")
tries=0
while [ $tries -lt 5 ]; do
	tries=$((tries + 1))
	n=big2-$tries
	put POSIX_A "$n" "$T/big2" "$a"
	rule "$n" POSIX_B
	final=$(path "$(pfn POSIX_B "$n")")
	copying "$n"
	sup=$(cat "$lock")
	worker=
	comm=
	for p in $(pgrep -P "$sup"); do
		if ls -l "/proc/$p/fd" 2>/dev/null | grep -q "/\.$n\.gridrest-part\$"; then
			worker=$p
			comm=$(cat "/proc/$p/comm" 2>/dev/null)
		fi
	done
	[ -n "$worker" ] || continue
	kill -9 "$worker"
	# dead (a zombie until its supervisor reaps it) before the look
	j=0
	while [ $j -lt 100 ] && [ -r "/proc/$worker/stat" ] &&
	    [ "$(cut -d' ' -f3 "/proc/$worker/stat" 2>/dev/null)" != Z ]; do
		sleep 0.05
		j=$((j + 1))
	done
	[ -e "$final" ] || break
done
is "a worker, a child of the mover, named mover-worker" "$comm" mover-worker
ok "... killed mid-copy (pid $worker, try $tries)" \
    sh -c '[ -n "$1" ] && [ ! -e "$2" ]' sh "$worker" "$final"
settle
is "... the supervisor queued its claim again: the rule OK" "$(json .state)" OK
ok "... the whole file" cmp -s "$T/big2" "$final"
ok "... no temporary left" [ -z "$(find "$T/POSIX_B" -name '*gridrest-part*')" ]
ok "... the same mover still runs" kill -0 "$sup"
ok "... and logged the claim queued again" \
    grep -q "worker $worker ended (status 9): 1 requests queued again" \
    "$GRIDREST_HOME/log/error.log"
i=$tries
while [ $i -gt 0 ]; do
	rm -f "$(path "$(pfn POSIX_A "big2-$i")")" "$(path "$(pfn POSIX_B "big2-$i")")"
	i=$((i - 1))
done
rm -f "$T/big2"
i=0
until flock -n "$lock" true || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done

# --- any request that queues transfers starts a mover: an attachment ------
# (the rule re-evaluated on attach queues the new file's transfer)
ok "no mover runs now" flock -n "$lock" true
head -c 1000 /dev/urandom >"$T/f6"
put POSIX_A f6 "$T/f6"
reqb POST /dids/data/ds6 '{"type": "DATASET"}'
rule ds6 POSIX_B
reqb POST /dids/data/ds6/dids '{"dids": [{"scope": "data", "name": "f6"}]}'
is "attach a file to a dataset with a rule on POSIX_B: 201" "$STATUS" 201
f6=$(path "$(pfn POSIX_B f6)")
i=0
until [ -f "$f6" ] || [ $i -ge 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
ok "... a mover started and copied it" cmp -s "$T/f6" "$f6"
settle
is "... the rule OK" "$(json .state)" OK
pid=$(cat "$lock" 2>/dev/null)
i=0
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "... and left when idle" [ $i -lt 100 ]

# --- the rule evaluator's transfers start a mover too ---------------------
# (an asynchronous rule: gridrest-rules makes its locks and requests, no
# backend request does)
i=0
until flock -n "$lock" true || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "no mover runs" [ $i -lt 100 ]
head -c 2000 /dev/urandom >"$T/f7"
put POSIX_A f7 "$T/f7"
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "f7"}], "account": "root", "copies": 1, "rse_expression": "POSIX_B", "asynchronous": true}'
RULE=$(json '.[0]')
is "an asynchronous rule to POSIX_B: 201" "$STATUS" 201
settle
is "... the evaluator's request copied: OK" "$(json .state)" OK
ok "... the file on POSIX_B" cmp -s "$T/f7" "$(path "$(pfn POSIX_B f7)")"

# --- a destination that refuses writes: STUCK with the reason -------------
# (an immutable directory: root too is refused)
reqb POST /rses/POSIX_RO '{}'
reqb POST /rses/POSIX_RO/protocols/file "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/POSIX_RO\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
mkdir "$T/POSIX_RO"
chattr +i "$T/POSIX_RO"
rule f1 POSIX_RO
settle
chattr -i "$T/POSIX_RO"
is "a rule to an RSE whose directory refuses writes: STUCK" "$(json .state)" STUCK
ok "... with the reason in its error" \
    matches "$(json .error)" '^destination refused: Operation not permitted: file://'
req GET "/rules/$RULE/analysis"
is "... after the configured attempts, the last from one of its sources" \
    "$(json -c '.transfers[0] | [.attempts, (.last_source as $s | .sources | index($s) != null), (.sources | sort), (.last_error | test("destination refused")), .last_time != null]')" \
    '[3,true,["DAV1","POSIX_A","POSIX_B"],true,true]'
ok "... nothing written there" [ -z "$(find "$T/POSIX_RO" -mindepth 1)" ]

# --- hostile names and prefixes never write outside the RSE's prefix -----
# a DID name that climbs out of the hash path (a valid name), read from a
# non-deterministic RSE where it has a plain path
reqb POST /rses/POSIX_ND '{"deterministic": false}'
reqb POST /rses/POSIX_ND/protocols/file "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/POSIX_ND\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
mkdir -p "$T/POSIX_ND/plain"
head -c 500 /dev/urandom >"$T/POSIX_ND/plain/evil"
evil='x/../../../../../../../evil'
reqb POST /replicas "{\"rse\": \"POSIX_ND\", \"files\": [{\"scope\": \"data\", \"name\": \"$evil\", \"bytes\": 500, \"adler32\": \"$(adler "$T/POSIX_ND/plain/evil")\", \"pfn\": \"file://localhost:0$T/POSIX_ND/plain/evil\"}]}"
is "a replica named $evil on a non-deterministic RSE: 201" "$STATUS" 201
rule "$evil" POSIX_B
settle
is "... a rule to POSIX_B: STUCK" "$(json .state)" STUCK
ok "... its PFN refused" matches "$(json .error)" "^PFN with '\\.' or '\\.\\.'"
# (seven levels up from $T/POSIX_B/data/xx/yy/x is /)
is "... no file of that name but the source" \
    "$(find "$T" -name evil; ls /evil 2>/dev/null)" "$T/POSIX_ND/plain/evil"
# a prefix with '..'
reqb POST /rses/POSIX_DOTS '{}'
reqb POST /rses/POSIX_DOTS/protocols/file "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/POSIX_DOTS/../outside\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
rule f1 POSIX_DOTS
settle
is "a prefix with '..': STUCK" "$(json .state)" STUCK
ok "... refused" matches "$(json .error)" "^PFN with '\\.' or '\\.\\.'"
ok "... nothing made outside" [ ! -e "$T/outside" ]
# a symbolic link below the prefix that leads out
reqb POST /rses/POSIX_LN '{}'
reqb POST /rses/POSIX_LN/protocols/file "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/POSIX_LN\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
mkdir -p "$T/POSIX_LN" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/POSIX_LN/data"
rule f1 POSIX_LN
settle
is "a symbolic link out of the prefix: STUCK" "$(json .state)" STUCK
ok "... refused" matches "$(json .error)" '^PFN leaves the RSE prefix through a symbolic link'
ok "... nothing written where it leads" [ -z "$(find "$T/elsewhere" -mindepth 1)" ]
