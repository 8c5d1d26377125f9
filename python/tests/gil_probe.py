"""Whether a call releases the GIL: a ticker thread appends a timestamp every millisecond while
`work` runs in this thread. With the GIL held for the whole call the ticker cannot run."""
import threading
import time


def ticks_during(work):
    """Runs `work()`; returns its wall time and how many ticks the other thread made meanwhile.
    The ticker stops even when `work()` raises (a ticker left running kept pytest from exiting)."""
    ticks, done = [], threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
    finally:
        done.set()
        thread.join()
    return elapsed, sum(1 for t in ticks if start <= t <= start + elapsed)
