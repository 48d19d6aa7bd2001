# lib.sh -- what the benchmarks share: a private home and lighttpd on
# 127.0.0.1:$port, torn down on exit, and a root token. Source it after
# setting port (and any GRIDREST_* the benchmark wants); then call
# bench_start [CONF] (CONF: a lighttpd.conf to serve instead of ours).
# Sets top, B, T, base and token; call METHOD PATH [BODY] sends one
# request with the token (failing on an HTTP error).
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
B=${GR_BUILD:-build}
case $B in /*) ;; *) B=$top/$B ;; esac
# under the build directory, not /tmp: on a machine whose /tmp saw many
# test runs, ext4 creates inodes there at a fraction of its usual speed
# (bench_fs_probe prints the ceiling; BENCH_DIR chooses another place)
T=$(mktemp -d "${BENCH_DIR:-$B}/bench.XXXXXX")
export GRIDREST_BUILD=$B GRIDREST_HOME=$T/home
export GRIDREST_HTTP_BIND=127.0.0.1 GRIDREST_HTTP_PORT=$port
export GRIDREST_HTTPS=127.0.0.1:$((port + 1))
export GRIDREST_ROOT_PASSWORD=bench-secret GRIDREST_PBKDF2_ITER=1000
base=http://127.0.0.1:$port

bench_cleanup() {
	pid=$(cat "$GRIDREST_HOME/run/lighttpd.pid" 2>/dev/null || true)
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	# until it is gone: a benchmark started next on the same port would
	# otherwise find this server still answering (and measure it)
	i=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	rm -rf "$T"
}
trap bench_cleanup EXIT

# bench_fs_probe: how many directories with a file in each this machine
# creates per second where the benchmark's home is (jobs and tasks make a
# working directory and files per job). On an ext4 without a journal, as
# here, inode allocation skips every inode freed in the last 30 s (the
# kernel's dirty_expire_centisecs) and slows for minutes after a mass
# deletion, such as a previous benchmark's cleanup: the probe repeats,
# 300 at a time every 10 s, until it reads BENCH_FS_QUIET (5000) a second
# or BENCH_FS_WAIT (180) seconds passed, and prints what it found. Its
# files stay until the cleanup.
bench_fs_probe() {
	mkdir -p "$T/probe"
	perl -MTime::HiRes=time,sleep -e '
		my ($d, $quiet, $wait) = @ARGV;
		my ($k, $rate, $t0) = (0, 0, time);
		while (1) {
			my $t = time;
			for my $i (1 .. 300) {
				my $p = "$d/$k.$i";
				mkdir $p or die "mkdir: $!";
				open(my $f, ">", "$p/f") or die "open: $!";
				close $f;
			}
			$rate = 300 / (time - $t);
			$k++;
			last if $rate >= $quiet || time - $t0 >= $wait;
			sleep 10;
		}
		printf "fs: %.0f directories with a file per second in %s " .
		    "(after %.0f s of waiting for a quiet disk)\n",
		    $rate, $d, time - $t0;
	' "$T/probe" "${BENCH_FS_QUIET:-5000}" "${BENCH_FS_WAIT:-180}" 2>&1 || true
}

# bench_hello_conf FILE: our lighttpd.conf plus the reference responder
# bench/hello.fcgi under /bench/hello, written to FILE for bench_start
bench_hello_conf() {
	cat >"$1" <<CONF
include "$top/lighttpd.conf"
\$HTTP["url"] =~ "^/bench/hello" {
  fastcgi.server = ( "/" => ( "hello" => (
    "socket" => var.home + "/run/hello.sock",
    "bin-path" => "$B/bench/hello.fcgi",
    "max-procs" => var.procs, "check-local" => "disable" ) ) )
}
CONF
}

bench_start() {
	if curl -sf -o /dev/null "$base/ping"; then
		echo "something already answers on $base (a benchmark left running?)"
		exit 1
	fi
	scripts/gridrest init >/dev/null
	scripts/gridrest serve ${1+"$1"} >"$T/lighttpd.out" 2>&1 &
	i=0
	until curl -sf "$base/ping" >/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$T/lighttpd.out"; exit 1; }
		sleep 0.05
	done
	token=$(curl -s -D - -o /dev/null -H 'X-Rucio-Account: root' \
	    -H 'X-Rucio-Username: root' \
	    -H "X-Rucio-Password: $GRIDREST_ROOT_PASSWORD" \
	    "$base/auth/userpass" |
	    sed -n 's/^[Xx]-[Rr]ucio-[Aa]uth-[Tt]oken: *\([^\r]*\).*/\1/p')
	[ -n "$token" ] || { echo "no token"; exit 1; }
}

call() { # METHOD PATH [BODY]
	curl -sf -o /dev/null -X "$1" -H "X-Rucio-Auth-Token: $token" \
	    --data-binary "${3-}" "$base$2"
}
