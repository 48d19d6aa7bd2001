#!/bin/sh
# transfers.sh -- the mover's copy layer (common/xfer.c, through
# build/bench/xfer_copy) against the plain tools, in the same run:
#
#   posix -> posix   one BENCH_MB (1024) MiB file: xfer_copy (adler32
#                    while streaming, temporary name, fsync, rename), and
#                    xfer_copy -m (adler32 and md5, as for a file whose
#                    md5 is known), against cp + sync of the copy
#                    (coreutils' sync FILE, an fsync of it): the ratio of
#                    their times in each run, its median and its range
#   posix -> WebDAV  the same file to scripts/webdav-rse (lighttpd's
#                    mod_webdav over HTTPS, on this machine): xfer_copy
#                    (MKCOL, PUT of a temporary, HEAD, MOVE; HTTP/1.1)
#                    against curl -T of the file to the same server, as
#                    curl does it (HTTP/2) and with --http1.1
#   RSS              xfer_copy's peak resident memory in each
#
# Each figure is the median of BENCH_REPS (3) runs (the posix ratios with
# their lowest and highest); every run starts with
# the source in the page cache and nothing dirty (a sync beforehand,
# outside the clock). Targets: >= 0.9x of cp + sync, >= 0.8x of
# curl -T, RSS < 32 MB.
#
# Then through a server on BENCH_PORT (18094), the mover itself:
#   many             BENCH_FILES (10,000) files of 1 KiB in one dataset on
#                    POSIX_A, one rule to POSIX_B: POST /rules/ to the rule
#                    OK (the evaluator makes the locks and requests, the
#                    mover's workers copy them in batches); files/s
#                    (target >= 1,000)
#   RSS              the same 1 GiB file registered on POSIX_A (a hard
#                    link), a rule to POSIX_B: the resident memory of the
#                    mover's processes, sampled from /proc every 0.1 s
#                    while it copies (target: flat, < 32 MB)
# Settings: BENCH_MB, BENCH_REPS, BENCH_FILES, BENCH_DAV_PORT (18444),
# BENCH_PORT, GR_BUILD (build).
set -eu
mb=${BENCH_MB:-1024}
reps=${BENCH_REPS:-3}
port=${BENCH_PORT:-18094}
dav_port=${BENCH_DAV_PORT:-18444}
. "$(dirname "$0")/lib.sh"
copy=$B/bench/xfer_copy
[ -x "$copy" ] || { echo "transfers.sh: build $copy first (make)" >&2; exit 1; }

export GRIDREST_WEBDAV_HOME=$T/webdav GRIDREST_WEBDAV_PORT=$dav_port
dav_stop() {
	"$top/scripts/webdav-rse" stop || true
	# the mover a rule started outlives the server: stopped first
	mpid=$(cat "$GRIDREST_HOME/db/mover.lock" 2>/dev/null || true)
	[ -z "$mpid" ] || kill "$mpid" 2>/dev/null || true
	i=0
	while [ -n "$mpid" ] && kill -0 "$mpid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	bench_cleanup
}
trap dav_stop EXIT
"$top/scripts/webdav-rse" start >/dev/null
ca=$GRIDREST_HOME/tls/ca.pem
dav=https://localhost:$dav_port

mkdir -p "$T/src" "$T/dst"
head -c "$((mb * 1024 * 1024))" /dev/urandom >"$T/src/big"
curl -sS --fail --cacert "$ca" -X MKCOL "$dav/bench/" >/dev/null

# median of the numbers on stdin
median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# seconds of a command's run (wall clock)
seconds() {
	perl -MTime::HiRes=time -e '
		my $t = time; system(@ARGV) == 0 or exit 1;
		printf "%.3f\n", time - $t' -- "$@"
}

: >"$T/cp" && : >"$T/px" && : >"$T/pm" && : >"$T/curl" && : >"$T/curl1" &&
    : >"$T/dx" && : >"$T/rss" && : >"$T/ratio" && : >"$T/ratio_m"
r=0
while [ $r -lt "$reps" ]; do
	r=$((r + 1))
	rm -f "$T/dst/"*
	sync
	seconds sh -c 'cp "$1" "$2" && sync "$2"' sh "$T/src/big" \
	    "$T/dst/cp" >>"$T/cp"
	sync
	out=$("$copy" "file://$T/src/big" "$T/src" "file://$T/dst/x" "$T/dst")
	echo "$out" | awk '{ print $4 }' >>"$T/px"
	echo "$out" | awk '{ print $5 }' >>"$T/rss"
	cmp -s "$T/src/big" "$T/dst/x" || { echo "posix copy differs" >&2; exit 1; }
	rm -f "$T/dst/x"
	sync
	out=$("$copy" -m "file://$T/src/big" "$T/src" "file://$T/dst/x" "$T/dst")
	echo "$out" | awk '{ print $4 }' >>"$T/pm"
	echo "$out" | awk '{ print $5 }' >>"$T/rss"
	cmp -s "$T/src/big" "$T/dst/x" || { echo "posix copy differs" >&2; exit 1; }
	# this run's ratios
	paste "$T/cp" "$T/px" | tail -1 | awk '{ print $1 / $2 }' >>"$T/ratio"
	paste "$T/cp" "$T/pm" | tail -1 | awk '{ print $1 / $2 }' >>"$T/ratio_m"

	for f in curl curl1 x; do
		curl -sS --cacert "$ca" -X DELETE "$dav/bench/$f" -o /dev/null
	done
	rm -f "$T/dst/"*
	sync
	seconds curl -sS --fail --cacert "$ca" -T "$T/src/big" \
	    "$dav/bench/curl" -o /dev/null >>"$T/curl"
	sync
	seconds curl -sS --fail --http1.1 --cacert "$ca" -T "$T/src/big" \
	    "$dav/bench/curl1" -o /dev/null >>"$T/curl1"
	sync
	out=$("$copy" -c "$ca" "file://$T/src/big" "$T/src" \
	    "davs://localhost:$dav_port/bench/x" /bench)
	echo "$out" | awk '{ print $4 }' >>"$T/dx"
	echo "$out" | awk '{ print $5 }' >>"$T/rss"
	cmp -s "$T/src/big" "$GRIDREST_WEBDAV_HOME/data/bench/x" ||
	    { echo "WebDAV copy differs" >&2; exit 1; }
done

cp_s=$(median <"$T/cp")
px_s=$(median <"$T/px")
pm_s=$(median <"$T/pm")
r_med=$(median <"$T/ratio")
r_lo=$(sort -n "$T/ratio" | head -1)
r_hi=$(sort -n "$T/ratio" | tail -1)
m_med=$(median <"$T/ratio_m")
m_lo=$(sort -n "$T/ratio_m" | head -1)
m_hi=$(sort -n "$T/ratio_m" | tail -1)
curl_s=$(median <"$T/curl")
curl1_s=$(median <"$T/curl1")
dx_s=$(median <"$T/dx")
rss=$(sort -n "$T/rss" | tail -1)
awk -v mb="$mb" -v reps="$reps" -v a="$cp_s" -v b="$px_s" -v c="$curl_s" \
    -v d="$dx_s" -v e="$curl1_s" -v rss="$rss" -v m="$pm_s" -v rm="$r_med" \
    -v rl="$r_lo" -v rh="$r_hi" -v mm="$m_med" -v ml="$m_lo" -v mh="$m_hi" 'BEGIN {
	printf "transfers: one %d MiB file, median of %d runs\n", mb, reps
	printf "posix -> posix:  xfer_copy %.2f s (%.0f MiB/s), cp + sync %.2f s: %.2fx (runs %.2f-%.2fx; target >= 0.9x)\n", b, mb / b, a, rm, rl, rh
	printf "posix -> posix with md5: xfer_copy -m %.2f s (%.0f MiB/s): %.2fx of cp + sync (runs %.2f-%.2fx)\n", m, mb / m, mm, ml, mh
	printf "posix -> WebDAV: xfer_copy %.2f s (%.0f MiB/s), curl -T %.2f s: %.2fx (target >= 0.8x); curl -T --http1.1 %.2f s: %.2fx\n", d, mb / d, c, c / d, e, e / d
	printf "xfer_copy peak RSS: %.1f MB (target < 32 MB)\n", rss / 1024
}'

# --- the mover itself, through a server -----------------------------------
# many   BENCH_FILES (10,000) files of 1 KiB in one dataset on POSIX_A, one
#        rule to POSIX_B: from POST /rules/ to the rule OK (the evaluator
#        makes the locks and requests, the mover's workers copy them in
#        batches); files/s (target >= 1000)
# RSS    the same 1 GiB file registered on POSIX_A (a hard link), a rule to
#        POSIX_B: the resident memory of the mover's processes sampled
#        from /proc every 0.1 s while it copies (target: flat, < 32 MB)
nfiles=${BENCH_FILES:-10000}
bench_start
dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
for r in POSIX_A POSIX_B; do
	call POST "/rses/$r" '{}'
	call POST "/rses/$r/protocols/file" "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/$r\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
done
call POST /scopes/root/bench ''
call POST /dids/bench/many '{"type": "DATASET"}'
# the files at their hash paths, and the request bodies, 1,000 a request
python3 - "$T/POSIX_A" "$nfiles" "$T/reg" <<'PY'
import hashlib, json, os, sys, zlib
pre, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = []
for i in range(n):
    name = "f%05d" % i
    h = hashlib.md5(("bench:" + name).encode()).hexdigest()
    d = os.path.join(pre, "bench", h[0:2], h[2:4])
    os.makedirs(d, exist_ok=True)
    data = os.urandom(1024)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    files.append({"scope": "bench", "name": name, "bytes": 1024,
                  "adler32": "%08x" % zlib.adler32(data)})
for k in range(0, n, 1000):
    with open("%s.%05d" % (out, k), "w") as f:
        json.dump({"rse": "POSIX_A", "files": files[k:k + 1000]}, f)
    with open("%s.att.%05d" % (out, k), "w") as f:
        json.dump({"dids": [{"scope": "bench", "name": x["name"]}
                            for x in files[k:k + 1000]]}, f)
PY
for f in "$T"/reg.[0-9]*; do call POST /replicas "$(cat "$f")"; done
for f in "$T"/reg.att.*; do call POST /dids/bench/many/dids "$(cat "$f")"; done
sync
# rule DID RSE: POST /rules/; the new rule's id
rule() {
	curl -sf -H "X-Rucio-Auth-Token: $token" -X POST --data-binary \
	    "{\"dids\": [{\"scope\": \"bench\", \"name\": \"$1\"}], \"account\": \"root\", \"copies\": 1, \"rse_expression\": \"$2\"}" \
	    "$base/rules/" | jq -r '.[0]'
}
state_of() {
	curl -sf -H "X-Rucio-Auth-Token: $token" "$base/rules/$1" | jq -r .state
}
t0=$(date +%s.%N)
id=$(rule many POSIX_B)
while [ "$(state_of "$id")" != OK ]; do sleep 0.05; done
t1=$(date +%s.%N)
got=$(find "$T/POSIX_B" -type f -name 'f*' | wc -l)
[ "$got" -eq "$nfiles" ] || { echo "$got of $nfiles files on POSIX_B" >&2; exit 1; }

# the 1 GiB file
pfn=$(curl -sf -H "X-Rucio-Auth-Token: $token" \
    "$base/rses/POSIX_A/lfns2pfns?lfn=bench:big" | jq -r '."bench:big"')
big=${pfn#file://localhost:0}
mkdir -p "$(dirname "$big")"
ln "$T/src/big" "$big"
ad=$(python3 -c 'import sys, zlib
a = 1
with open(sys.argv[1], "rb") as f:
    for b in iter(lambda: f.read(1 << 20), b""):
        a = zlib.adler32(b, a)
print("%08x" % a)' "$big")
call POST /replicas "{\"rse\": \"POSIX_A\", \"files\": [{\"scope\": \"bench\", \"name\": \"big\", \"bytes\": $((mb * 1024 * 1024)), \"adler32\": \"$ad\"}]}"
sync
: >"$T/rss.mover"
t2=$(date +%s.%N)
id=$(rule big POSIX_B)
while [ "$(state_of "$id")" != OK ]; do
	sup=$(cat "$GRIDREST_HOME/db/mover.lock" 2>/dev/null || true)
	for p in $sup $( [ -z "$sup" ] || pgrep -P "$sup"); do
		awk -v p="$p" '/^Name:/ { n = $2 } /^VmRSS:/ { r = $2 }
		    /^RssAnon:/ { a = $2 } /^RssFile:/ { m = $2 }
		    END { print p, n, r, a, m }' \
		    "/proc/$p/status" 2>/dev/null >>"$T/rss.mover" || true
	done
	sleep 0.1
done
t3=$(date +%s.%N)
awk -v n="$nfiles" -v a="$t0" -v b="$t1" -v mb="$mb" -v c="$t2" -v d="$t3" '
	$2 == "mover-worker" { w++; if (!wmin || $3 < wmin) wmin = $3; if ($3 > wmax) wmax = $3; if ($4 > wa) wa = $4; if ($5 > wm) wm = $5 }
	$2 != "mover-worker" { s++; if (!smin || $3 < smin) smin = $3; if ($3 > smax) smax = $3; if ($4 > sa) sa = $4; if ($5 > sm) sm = $5 }
	END {
		printf "mover: %d files of 1 KiB under one rule, POST /rules/ to OK: %.2f s, %.0f files/s (target >= 1000)\n", n, b - a, n / (b - a)
		printf "mover: one %d MiB file under a rule, POST /rules/ to OK: %.2f s (%.0f MiB/s)\n", mb, d - c, mb / (d - c)
		printf "mover RSS while copying it (target: flat, < 32 MB): worker %.1f-%.1f MB in %d samples, of which private (RssAnon) at most %.1f MB and shared file mappings (RssFile: the store'"'"'s region files, libraries) at most %.1f MB; supervisor %.1f-%.1f MB in %d, private at most %.1f MB, file mappings at most %.1f MB\n", wmin / 1024, wmax / 1024, w, wa / 1024, wm / 1024, smin / 1024, smax / 1024, s, sa / 1024, sm / 1024
	}' "$T/rss.mover"
