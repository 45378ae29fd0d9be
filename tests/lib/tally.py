"""tally.py — the checks of a Python test script, counted.

Every test script ends with the line "N passed, N failed" (scripts/run-tests
adds them up). A failed check prints "FAIL name: detail" at once, so the log
shows what failed in the order it ran. Checks may come from several
threads at once.

    from tally import check, same, finish
    check("rows", n == 3, f"got {n}")
    same("output", got, want)          # prints both sides when they differ
    sys.exit(finish())                 # the last line; 1 when a check failed
"""
import threading

passed = 0
failed = 0
_lock = threading.Lock()


def check(name, ok, detail=""):
    """Count one check; print it when it failed."""
    global passed, failed
    with _lock:
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)


def same(name, got, want):
    """Check that got equals want, showing both when they differ."""
    check(name, got == want, f"\n--- want\n{want}\n--- got\n{got}")


def finish():
    """Print the last line; return the exit status (1 when a check failed)."""
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
