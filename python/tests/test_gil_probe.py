"""The GIL probe itself: its ticker thread stops when the probed call raises (one left running
kept pytest from exiting after a failing test, asleep, instead of reporting the failure)."""
import threading

import pytest
from gil_probe import ticks_during


def test_the_ticker_stops_when_the_work_raises():
    before = threading.active_count()

    def broken():
        raise NameError("a broken call")

    with pytest.raises(NameError):
        ticks_during(broken)
    assert threading.active_count() == before


def test_the_ticker_runs_while_the_gil_is_free():
    elapsed, ticks = ticks_during(lambda: threading.Event().wait(0.05))
    assert elapsed >= 0.05 and ticks > 0
