#!/bin/sh
# 48-webdav.t -- scripts/webdav-rse: a real WebDAV storage element
# (lighttpd's mod_webdav over HTTPS with the private CA) as curl and the
# transfers see it, and registered as an RSE the way the README shows.
. tests/smoke/lib.sh
server_start
login
webdav_start

scripts/webdav-rse status
is "status: running" $? 0
data=$GRIDREST_WEBDAV_HOME/data
ca=$GRIDREST_HOME/tls/ca.pem
printf 'some bytes\n' >"$T/f1"

# dav METHOD URL-PATH [curl args...]: sets STATUS; the body in $T/davbody.
# HTTP/1.1, as the mover speaks it: over HTTP/2 a PUT the server refuses
# before reading its body ends in a stream reset (curl 92), not a status.
dav() {
	local method p
	method=$1
	p=$2
	shift 2
	STATUS=$(curl -sS --http1.1 --cacert "$ca" -X "$method" -o "$T/davbody" \
	    -w '%{http_code}' "$@" "$DAV$p" 2>"$T/curl.err") || STATUS=curl$?
}

dav PUT /rucio/a/f1 -T "$T/f1"
is "PUT without the collection: 409" "$STATUS" 409
dav MKCOL /rucio/
is "MKCOL: 201" "$STATUS" 201
dav MKCOL /rucio/
is "MKCOL of an existing collection: 405" "$STATUS" 405
dav MKCOL /rucio/a/
dav PUT /rucio/a/f1 -T "$T/f1"
is "PUT: 201" "$STATUS" 201
is "... the file is in the served directory" "$(cat "$data/rucio/a/f1")" "some bytes"
dav GET /rucio/a/f1
is "GET: 200" "$STATUS" 200
is "... the same bytes" "$(cat "$T/davbody")" "some bytes"
dav PROPFIND /rucio/a/f1 -H 'Depth: 0'
is "PROPFIND: 207" "$STATUS" 207
ok "... with the size" grep -q '<D:getcontentlength>11</D:getcontentlength>' "$T/davbody"
dav MOVE /rucio/a/f1 -H "Destination: $DAV/rucio/a/f2"
is "MOVE: 201" "$STATUS" 201
ok_all "... renamed on disk" [ -f "$data/rucio/a/f2" ] -- [ ! -e "$data/rucio/a/f1" ]
dav DELETE /rucio/a/f2
is "DELETE: 204" "$STATUS" 204
dav GET /rucio/a/f2
is "GET after DELETE: 404" "$STATUS" 404
dav DELETE /rucio/a/f2
is "DELETE of a missing file: 404" "$STATUS" 404
dav GET /../../home/tls/ca.key --path-as-is
ok "nothing above the served directory" [ "$STATUS" != 200 ]

STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$DAV/" 2>/dev/null) || STATUS=curl$?
is "a client without the CA does not trust it" "$STATUS" curl60

# Registered as an RSE (README, "A WebDAV storage element")
reqb POST /rses/WEBDAV1 '{}'
is "POST /rses/WEBDAV1: 201" "$STATUS" 201
reqb POST /rses/WEBDAV1/protocols/davs "{\"hostname\": \"localhost\", \"port\": $DAV_PORT, \"prefix\": \"/rucio\", \"impl\": \"rucio.rse.protocols.webdav.Default\", \"domains\": {\"lan\": {\"read\": 1, \"write\": 1, \"delete\": 1}, \"wan\": {\"read\": 1, \"write\": 1, \"delete\": 1, \"third_party_copy_read\": 1, \"third_party_copy_write\": 1}}}"
is "POST /rses/WEBDAV1/protocols/davs: 201" "$STATUS" 201
req GET '/rses/WEBDAV1/lfns2pfns?lfn=user.jdoe:file1'
pfn=$(json '."user.jdoe:file1"')
ok "lfns2pfns: a davs URL on it" matches "$pfn" \
    "^davs://localhost:$DAV_PORT/rucio/user/jdoe/[0-9a-f]{2}/[0-9a-f]{2}/file1\$"
# what a client does with it: the collections, then PUT over https
url=https${pfn#davs}
p=${url#"$DAV"}
dir=
for c in $(dirname "$p" | tr '/' ' '); do
	dir=$dir/$c
	dav MKCOL "$dir/"
done
dav PUT "$p" -T "$T/f1"
is "PUT to the PFN: 201" "$STATUS" 201
ok "... stored beneath the prefix" [ "$(cat "$data$p")" = "some bytes" ]

# Client certificates: required when asked for
scripts/webdav-rse stop
scripts/webdav-rse status
is "stop: no longer running" $? 1
GRIDREST_WEBDAV_CLIENT=required scripts/webdav-rse start >/dev/null
is "start again, client certificates required" $? 0
dav GET "$p"
ok "without one: refused" [ "$STATUS" != 200 ]
cert client 'cn = "client"
tls_www_client
signing_key'
dav GET "$p" --cert "$T/client.pem" --key "$T/client.key"
is "with one the CA signed: 200" "$STATUS" 200
is "... the file survived the restart" "$(cat "$T/davbody")" "some bytes"
scripts/webdav-rse start >/dev/null 2>&1
is "start while running: a no-op" $? 0
