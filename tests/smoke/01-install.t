#!/bin/sh
# 01-install.t -- make install stages every program the build makes: the
# families under LIBEXECDIR/cgi-bin and each gridrest-* tool beside them,
# where the families look for the tools they start (the DRM supervisor,
# the mover, the rule evaluator, the reaper; gridrest-drm-exec for Slurm),
# and the data files under DATADIR. No server: make install into DESTDIR.
. tests/smoke/lib.sh

# the build is complete (make check depends on all): "-o all" keeps make
# from rebuilding anything while other tests run the programs
stage=$T/stage
make -s --no-print-directory -o all B="${GR_BUILD:-build}" \
    DESTDIR="$stage" PREFIX=/usr install >"$T/make.out" 2>&1
is "make install DESTDIR=...: status 0" "$?" 0

# programs: NAME of each executable file DIR holds matching PATTERN
programs() {
	for f in "$1"/$2; do
		[ -f "$f" ] && [ -x "$f" ] && basename "$f"
	done
}
ok "the build made the tools" nonempty "$(programs "$B" 'gridrest-*')"
is "every gridrest-* tool the build made is installed beside cgi-bin/" \
    "$(programs "$stage/usr/lib/gridrest" 'gridrest-*')" \
    "$(programs "$B" 'gridrest-*')"
is "every family is installed in cgi-bin/" \
    "$(programs "$stage/usr/lib/gridrest/cgi-bin" '*.fcgi')" \
    "$(programs "$B/cgi-bin" '*.fcgi')"
is "the data files under share/gridrest" \
    "$(ls "$stage/usr/share/gridrest")" "$(ls "$B/share/gridrest")"
