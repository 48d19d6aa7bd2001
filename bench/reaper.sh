#!/bin/sh
# reaper.sh -- the reaper at scale, on a private server: BENCH_FILES
# (10,000) files of 1 KiB on a posix RSE, registered and held by one rule
# on their dataset; the rule deleted with purge_replicas (timed apart);
# then gridrest-reaper, run in the foreground until it leaves, deletes
# every file from disk and every replica from the catalogue (with the
# RSE's usage): files/s of that run. Checked afterwards: no file left
# on disk, the RSE's usage 0 files. Against the plain tool in the same
# run: rm of as many files of the same tree (on a file system mounted
# with discard, every unlink waits for the device; both pay it). Figures
# are printed; nothing is asserted. Settings: BENCH_FILES, BENCH_PORT
# (18596), GR_BUILD; BENCH_WRAP runs the reaper under a profiler.
port=${BENCH_PORT:-18596}
n=${BENCH_FILES:-10000}
# the reaper runs when this script says so, and leaves when done
export GRIDREST_REAPER_START=0 GRIDREST_REAPER_IDLE=0 GRIDREST_MOVER_START=0
. "$(dirname "$0")/lib.sh"
bench_start
set -eu

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

call POST /rses/BENCH '{}'
call POST /rses/BENCH/protocols/file "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/rse\", \"impl\": \"rucio.rse.protocols.posix.Default\", \"domains\": {\"wan\": {\"read\": 1, \"write\": 1, \"delete\": 1}}}"
call POST /scopes/root/bench ''
call POST /dids/bench/ds '{"type": "DATASET"}'

# the files, where lfns2pfns puts them (bench/<md5 2>/<md5 2>/<name>)
mkfiles() { # DIR: the n files under DIR
	perl -MDigest::MD5=md5_hex -e '
	my ($dir, $n) = @ARGV;
	my $data = "x" x 1024;
	for my $i (1 .. $n) {
		my $h = md5_hex("bench:f$i");
		my $d = "$dir/bench/" . substr($h, 0, 2) . "/" . substr($h, 2, 2);
		-d $d or system("mkdir", "-p", $d) == 0 or die;
		open(my $f, ">", "$d/f$i") or die "$d/f$i: $!";
		print $f $data;
		close $f;
	}' "$1" "$n"
}
mkfiles "$T/rse"
mkfiles "$T/plain"
want=$(curl -sf -H "X-Rucio-Auth-Token: $token" \
    "$base/rses/BENCH/lfns2pfns?lfn=bench:f1" | jq -r '."bench:f1"')
[ -e "${want#file://localhost:0}" ] || {
	echo "reaper.sh: the files are not where lfns2pfns says ($want)"
	exit 1
}
i=1
while [ $i -le "$n" ]; do
	j=$((i + 999 < n ? i + 999 : n))
	seq "$i" "$j" | jq -R '{scope: "bench", name: ("f" + .), bytes: 1024}' |
	    jq -sc '{rse: "BENCH", files: .}' >"$T/files"
	curl -sf -o /dev/null -H "X-Rucio-Auth-Token: $token" \
	    --data-binary "@$T/files" "$base/replicas"
	seq "$i" "$j" | jq -R '{scope: "bench", name: ("f" + .)}' |
	    jq -sc '{dids: .}' >"$T/dids"
	curl -sf -o /dev/null -H "X-Rucio-Auth-Token: $token" \
	    --data-binary "@$T/dids" "$base/dids/bench/ds/dids"
	i=$((j + 1))
done
rule=$(curl -sf -H "X-Rucio-Auth-Token: $token" --data-binary \
    '{"dids": [{"scope": "bench", "name": "ds"}], "account": "root", "copies": 1, "rse_expression": "BENCH"}' \
    "$base/rules/" | jq -r '.[0]')
while [ "$(curl -sf -H "X-Rucio-Auth-Token: $token" "$base/rules/$rule" |
    jq -r .state)" != OK ]; do
	sleep 0.1
done
sync
# the plain tool: rm of the same number of files in the same tree shape
p0=$(now)
find "$T/plain" -type f -print0 | xargs -0 rm -f
p1=$(now)

t0=$(now)
call DELETE "/rules/$rule" '{"purge_replicas": true}'
t1=$(now)
${BENCH_WRAP:-} "$B/gridrest-reaper"
t2=$(now)
left=$(find "$T/rse" -type f | wc -l)
files=$(curl -sf -H "X-Rucio-Auth-Token: $token" \
    "$base/rses/BENCH/usage?source=rucio" | jq -r .files)
echo "reaper: $n purged replicas of 1 KiB on a posix RSE (durable commits)"
printf 'reaper: rule deleted with purge_replicas in %.2f s (%s replicas/s tombstoned)\n' \
    "$(echo "$t1 - $t0" | bc)" "$(rate "$n" "$t0" "$t1")"
printf 'reaper: deleted from disk and catalogue in %.2f s: %s files/s\n' \
    "$(echo "$t2 - $t1" | bc)" "$(rate "$n" "$t1" "$t2")"
printf 'reaper: rm of as many files (find | xargs rm) in %.2f s: %s files/s\n' \
    "$(echo "$p1 - $p0" | bc)" "$(rate "$n" "$p0" "$p1")"
printf 'reaper: ratio to rm: %.2f\n' \
    "$(echo "($p1 - $p0) / ($t2 - $t1)" | bc -l)"
echo "reaper: left afterwards: $left files on disk, $files replicas counted"
