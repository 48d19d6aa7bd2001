/*
 * xfer.c -- the mover's copy layer from the command line (bench/
 * transfers.sh): copies one file with xfer_copy and prints what it
 * measured, the wall time and the process's peak RSS.
 *
 *   xfer_copy [-c CAFILE] [-m] SRC_PFN SRC_PREFIX DST_PFN DST_PREFIX
 *   -> "bytes adler32 md5|- seconds maxrss_kib" on stdout; 1 and the
 *      error on stderr when the copy fails
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "xfer.h"

int
main(int argc, char **argv)
{
	struct xfer_rse src = { 0 }, dst = { 0 };
	struct xfer_sum got;
	struct gr_err err = { 0 };
	struct timespec t0, t1;
	struct rusage ru;
	struct xfer *x;
	int c, flags = 0, rc;

	while ((c = getopt(argc, argv, "c:m")) != -1) {
		if (c == 'c')
			src.cafile = dst.cafile = optarg;
		else if (c == 'm')
			flags |= XFER_MD5;
		else
			return 2;
	}
	if (argc - optind != 4) {
		fprintf(stderr,
		    "usage: xfer_copy [-c CAFILE] [-m] SRC_PFN "
		    "SRC_PREFIX DST_PFN DST_PREFIX\n");
		return 2;
	}
	src.prefix = argv[optind + 1];
	dst.prefix = argv[optind + 3];
	x = xfer_new();
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = xfer_copy(x, argv[optind], &src, argv[optind + 2], &dst, NULL,
	    flags, &got, &err);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	xfer_free(x);
	if (rc != GR_OK) {
		fprintf(stderr, "xfer_copy: %s\n", err.msg);
		return 1;
	}
	(void)getrusage(RUSAGE_SELF, &ru);
	printf("%lld %s %s %.3f %ld\n", (long long)got.bytes, got.adler32,
	    got.md5[0] != '\0' ? got.md5 : "-",
	    (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_maxrss);
	return 0;
}
