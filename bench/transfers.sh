#!/bin/sh
# transfers.sh -- the mover's copy layer (common/xfer.c, through
# build/bench/xfer_copy) against the plain tools, in the same run:
#
#   posix -> posix   one BENCH_MB (1024) MiB file: xfer_copy (adler32 and
#                    md5 while streaming, temporary name, fsync, rename)
#                    against cp + sync of the copy (coreutils' sync FILE,
#                    an fsync of it): the ratio of their times
#   posix -> WebDAV  the same file to scripts/webdav-rse (lighttpd's
#                    mod_webdav over HTTPS, on this machine): xfer_copy
#                    (MKCOL, PUT of a temporary, HEAD, MOVE; HTTP/1.1)
#                    against curl -T of the file to the same server, as
#                    curl does it (HTTP/2) and with --http1.1
#   RSS              xfer_copy's peak resident memory in each
#
# Each figure is the median of BENCH_REPS (3) runs; every run starts with
# the source in the page cache and nothing dirty (a sync beforehand,
# outside the clock). Targets: >= 0.9x of cp + sync, >= 0.8x of
# curl -T, RSS < 32 MB. Settings: BENCH_MB, BENCH_REPS, BENCH_DAV_PORT
# (18444), GR_BUILD (build). Other transfer figures (10,000 files under a
# rule, the reaper) come with the mover itself.
set -eu
mb=${BENCH_MB:-1024}
reps=${BENCH_REPS:-3}
port=${BENCH_PORT:-18094} # lib.sh's; no gridrest server is started here
dav_port=${BENCH_DAV_PORT:-18444}
. "$(dirname "$0")/lib.sh"
copy=$B/bench/xfer_copy
[ -x "$copy" ] || { echo "transfers.sh: build $copy first (make)" >&2; exit 1; }

export GRIDREST_WEBDAV_HOME=$T/webdav GRIDREST_WEBDAV_PORT=$dav_port
dav_stop() {
	"$top/scripts/webdav-rse" stop || true
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

: >"$T/cp" && : >"$T/px" && : >"$T/curl" && : >"$T/curl1" && : >"$T/dx" &&
    : >"$T/rss"
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
curl_s=$(median <"$T/curl")
curl1_s=$(median <"$T/curl1")
dx_s=$(median <"$T/dx")
rss=$(sort -n "$T/rss" | tail -1)
awk -v mb="$mb" -v reps="$reps" -v a="$cp_s" -v b="$px_s" -v c="$curl_s" \
    -v d="$dx_s" -v e="$curl1_s" -v rss="$rss" 'BEGIN {
	printf "transfers: one %d MiB file, median of %d runs\n", mb, reps
	printf "posix -> posix:  xfer_copy %.2f s (%.0f MiB/s), cp + sync %.2f s: %.2fx (target >= 0.9x)\n", b, mb / b, a, a / b
	printf "posix -> WebDAV: xfer_copy %.2f s (%.0f MiB/s), curl -T %.2f s: %.2fx (target >= 0.8x); curl -T --http1.1 %.2f s: %.2fx\n", d, mb / d, c, c / d, e, e / d
	printf "xfer_copy peak RSS: %.1f MB (target < 32 MB)\n", rss / 1024
}'
