#!/usr/bin/python3
"""The load benchmark's floor: how often this machine alone makes a 60 Hz frame late.

    load_floor.py SECONDS

A timer ticks at 60 Hz for SECONDS; a tick the process wakes for more than half a period late is
a frame that any compositor scheduled the same way would have missed (the interval to its next
frame > 1.5 periods). Prints one line in sb_load's key=value form (frames = ticks, missed =
periods lost). run-load-bench.sh runs it pinned and niced like the compositors.
"""
import sys
import time

PERIOD = 1 / 60


def main():
    seconds = float(sys.argv[1])
    n = missed = 0
    worst = 0.0
    now = time.monotonic()
    end = now + seconds
    tick = now + PERIOD
    while tick < end:
        time.sleep(max(0.0, tick - time.monotonic()))
        late = time.monotonic() - tick
        worst = max(worst, late)
        periods = 1 + int(late / PERIOD)
        n += periods
        if late > PERIOD / 2:
            missed += periods - 1 if late >= PERIOD else 1
        tick += periods * PERIOD
    print("commits=0 frames=%d expected=%d missed=%d late=0 no_buffer=0 max_gap_us=%d "
          "seconds=%g" % (n, n, missed, int((worst + PERIOD) * 1e6), seconds))


if __name__ == "__main__":
    main()
