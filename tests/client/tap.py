"""The checks every real-client driver (tests/client/rucio_*.py, run by
scripts/real-client) shares: one TAP-like line per check, the number of
failures at the end, and the exit status they add up to."""
import sys

failures = 0


def check(what, cond):
    """Print 'ok - what' or 'not ok - what'; count a failure."""
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1


def raises(what, exc, fn, *args, **kwargs):
    """Check that fn(*args, **kwargs) raises exc."""
    try:
        fn(*args, **kwargs)
        check(what + " raises " + exc.__name__, False)
    except exc:
        check(what + " raises " + exc.__name__, True)


def done():
    """Print the failures and exit 1 if there were any."""
    print(f"{failures} failures")
    sys.exit(1 if failures else 0)
