"""lab_app.tasks: the background-task runner and the debouncer, with a real event loop.

Tasks synchronise with the test through ``threading.Event`` gates, never by sleeping, so each
test decides exactly what is running when it cancels, supersedes or shuts down.
"""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QThreadPool, QTimer

from lab_app.tasks import Debouncer, TaskCancelled, TaskRunner, active_tasks

WAIT = 10  # seconds a task waits for its gate at most (a failing test must not hang)


@pytest.fixture
def runner(qapp):
    r = TaskRunner(name="logit-lab-test-task")
    yield r
    r.shutdown()


def _delete(obj: QObject) -> None:
    obj.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


# ------------------------------------------------------------------ TaskRunner
def test_the_result_is_delivered_in_the_gui_thread(qtbot, runner):
    worker = []

    def add(a, b, *, progress, cancelled):
        worker.append(threading.current_thread())
        return a + b

    received = []
    runner.resultReady.connect(lambda r: received.append((r, threading.current_thread(), QThread.currentThread())))
    with qtbot.waitSignal(runner.busyChanged, check_params_cb=lambda busy: busy, timeout=1000):
        runner.start(add, 2, 3)
    assert runner.busy
    with qtbot.waitSignal(runner.resultReady, timeout=5000):
        pass
    assert received == [(5, threading.main_thread(), QCoreApplication.instance().thread())]
    assert worker[0] is not threading.main_thread() and worker[0].name == "logit-lab-test-task"
    assert not runner.busy


def test_progress_arrives_in_order_and_only_when_it_changed(qtbot, runner):
    def work(*, progress, cancelled):
        for value in (0, 0, 10, 10, 10, 50, 100, 100):
            progress(value)
        return "done"

    values = []
    runner.progress.connect(lambda v: values.append((v, threading.current_thread() is threading.main_thread())))
    with qtbot.waitSignal(runner.resultReady, timeout=5000):
        runner.start(work)
    assert values == [(0, True), (10, True), (50, True), (100, True)]


def test_an_error_arrives_as_a_message_not_a_crash(qtbot, runner):
    def work(*, progress, cancelled):
        raise ValueError("no column 'x'")

    with qtbot.assertNotEmitted(runner.resultReady), qtbot.waitSignal(runner.failed, timeout=5000) as failed:
        runner.start(work)
    message, exc = failed.args
    assert message == "ValueError: no column 'x'" and isinstance(exc, ValueError)
    assert not runner.busy
    with qtbot.waitSignal(runner.resultReady, timeout=5000) as ok:  # the runner still works
        runner.start(lambda *, progress, cancelled: "fine")
    assert ok.args == ["fine"]


def test_cancel_stops_at_the_next_progress_report_and_delivers_no_result(qtbot, runner):
    gate, after = threading.Event(), []

    def work(*, progress, cancelled):
        progress(1)
        gate.wait(WAIT)
        progress(2)  # raises TaskCancelled
        after.append("still running")
        return "result"

    with qtbot.waitSignal(runner.progress, timeout=5000):
        runner.start(work)
    runner.cancel()
    assert runner.busy  # until the task has really ended
    gate.set()
    with qtbot.assertNotEmitted(runner.resultReady), qtbot.waitSignal(runner.cancelled, timeout=5000):
        pass
    assert after == [] and not runner.busy


def test_a_result_returned_after_cancel_is_dropped(qtbot, runner):
    started, gate, seen = threading.Event(), threading.Event(), []

    def stubborn(*, progress, cancelled):  # never reports progress: it cannot be stopped early
        started.set()
        gate.wait(WAIT)
        seen.append(cancelled())
        return 42

    runner.start(stubborn)
    qtbot.waitUntil(started.is_set, timeout=5000)
    runner.cancel()
    gate.set()
    with qtbot.assertNotEmitted(runner.resultReady), qtbot.waitSignal(runner.cancelled, timeout=5000):
        pass
    assert seen == [True]


def test_a_quiet_cancel_forgets_the_task_at_once(qtbot, runner):
    gate = threading.Event()
    runner.start(lambda *, progress, cancelled: gate.wait(WAIT))
    with qtbot.waitSignal(runner.busyChanged, check_params_cb=lambda busy: not busy, timeout=1000):
        runner.cancel(quiet=True)
    assert not runner.busy
    gate.set()
    with qtbot.assertNotEmitted(runner.cancelled), qtbot.assertNotEmitted(runner.resultReady):
        assert runner.wait(5000)
        QCoreApplication.processEvents()


def test_a_newer_start_supersedes_the_older_whose_result_is_dropped(qtbot, runner):
    started, gate, old_saw = threading.Event(), threading.Event(), []

    def old(*, progress, cancelled):
        started.set()
        gate.wait(WAIT)
        old_saw.append(cancelled())
        return "old"

    results, cancels = [], []
    runner.resultReady.connect(results.append)
    runner.cancelled.connect(lambda: cancels.append(True))
    runner.start(old)
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.assertNotEmitted(runner.busyChanged):  # busy all along
        runner.start(lambda *, progress, cancelled: "new")
    gate.set()
    with qtbot.waitSignal(runner.resultReady, timeout=5000):
        pass
    # One thread runs both in turn, so the old answer reached the GUI first, and was dropped.
    assert results == ["new"] and cancels == [] and old_saw == [True]


def test_a_task_superseded_while_queued_never_runs(qtbot, runner):
    started, gate, ran = threading.Event(), threading.Event(), []

    def first(*, progress, cancelled):
        started.set()
        gate.wait(WAIT)

    runner.start(first)
    qtbot.waitUntil(started.is_set, timeout=5000)
    runner.start(lambda *, progress, cancelled: ran.append("second"))
    runner.start(lambda *, progress, cancelled: ran.append("third") or "third")
    gate.set()
    with qtbot.waitSignal(runner.resultReady, timeout=5000) as last:
        pass
    assert last.args == ["third"] and ran == ["third"]


def test_wait_delivers_the_outcome_before_it_returns(qtbot, runner):
    gate, results = threading.Event(), []
    runner.resultReady.connect(results.append)
    runner.start(lambda *, progress, cancelled: gate.wait(WAIT) and 7)
    assert runner.wait(0) is False  # still running
    gate.set()
    assert runner.wait(5000)
    assert results == [7] and not runner.busy  # no event loop turned in between
    QCoreApplication.processEvents()
    assert results == [7]  # and the queued copy is not delivered again


def _until_cancelled(started: threading.Event, finished: list):
    def work(*, progress, cancelled):
        started.set()
        tick = threading.Event()
        while not cancelled():
            tick.wait(0.002)  # the task's own pace; the test waits on events
        finished.append(True)

    return work


def test_shutdown_cancels_and_joins_the_running_task(qtbot, runner):
    started, finished = threading.Event(), []
    runner.start(_until_cancelled(started, finished))
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert finished == []
    with qtbot.waitSignal(runner.busyChanged, check_params_cb=lambda busy: not busy, timeout=1000):
        assert runner.shutdown(5000)
    assert finished == [True]  # joined: the task ended before shutdown returned
    with qtbot.assertNotEmitted(runner.cancelled), qtbot.assertNotEmitted(runner.resultReady):
        QCoreApplication.processEvents()
    with qtbot.waitSignal(runner.resultReady, timeout=5000):  # usable afterwards
        runner.start(lambda *, progress, cancelled: 1)


@pytest.mark.parametrize("shared_pool", [False, True])
def test_deleting_the_runner_mid_task_cancels_and_waits_for_it(qtbot, shared_pool):
    owner = QObject()
    pool = QThreadPool() if shared_pool else None  # a private pool would wait in its destructor anyway
    runner = TaskRunner(owner, pool=pool)
    started, finished = threading.Event(), []
    runner.start(_until_cancelled(started, finished))
    qtbot.waitUntil(started.is_set, timeout=5000)
    count = active_tasks()
    assert count >= 1
    del runner
    _delete(owner)  # no shutdown(): Qt must not be left with a task emitting on a deleted object
    assert finished == [True] and active_tasks() == count - 1
    QCoreApplication.processEvents()  # nothing left to deliver to
    if pool is not None:
        pool.waitForDone()


def test_runners_sharing_a_pool_take_turns_and_keep_their_own_answers(qtbot, qapp):
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    a, b = TaskRunner(pool=pool), TaskRunner(pool=pool)
    started, gate, overlap, running = threading.Event(), threading.Event(), [], []

    def first(*, progress, cancelled):
        started.set()
        running.append(1)
        gate.wait(WAIT)
        running.pop()
        return "a"

    def second(*, progress, cancelled):
        overlap.append(bool(running))
        return "b"

    a.start(first)
    qtbot.waitUntil(started.is_set, timeout=5000)
    b.start(second)  # another runner: it does not supersede a's task
    gate.set()
    with qtbot.waitSignal(a.resultReady, timeout=5000) as got_a, qtbot.waitSignal(b.resultReady, timeout=5000) as got_b:
        pass
    assert got_a.args == ["a"] and got_b.args == ["b"] and overlap == [False]
    for r in (a, b):
        r.shutdown()
    pool.waitForDone()


def test_task_cancelled_raised_by_the_task_itself_counts_as_cancelled(qtbot, runner):
    def work(*, progress, cancelled):
        raise TaskCancelled()

    with qtbot.assertNotEmitted(runner.failed), qtbot.waitSignal(runner.cancelled, timeout=5000):
        runner.start(work)


# ------------------------------------------------------------------ Debouncer
@pytest.fixture
def owner(qapp):
    o = QObject()
    yield o
    _delete(o)


def _stream(owner, every_ms, fn):
    """Call ``fn`` every ``every_ms`` from the event loop (a burst of user input)."""
    timer = QTimer(owner, interval=every_ms, timeout=fn)
    timer.start()
    return timer


def test_debouncer_coalesces_a_burst_into_one_call(qtbot, owner):
    calls = []
    d = Debouncer(300, lambda: calls.append(time.monotonic()), parent=owner)
    triggers = []

    def tick():
        triggers.append(time.monotonic())
        d.trigger()
        if len(triggers) == 20:
            stream.stop()

    stream = _stream(owner, 10, tick)
    with qtbot.waitSignal(d.fired, timeout=10000):
        pass
    assert not stream.isActive() and calls and calls[0] >= triggers[-1]  # after the last trigger
    qtbot.assertNotEmitted(d.fired, wait=400)
    assert len(calls) == 1 and not d.pending


def test_debouncer_max_wait_runs_during_a_continuous_stream(qtbot, owner):
    d = Debouncer(2000, max_wait_ms=100, parent=owner)
    stream = _stream(owner, 10, d.trigger)
    start = time.monotonic()
    with qtbot.waitSignal(d.fired, timeout=10000):
        pass
    assert stream.isActive() and time.monotonic() - start < 2.0  # never 2 s of quiet, yet it ran
    stream.stop()
    d.cancel()


def test_throttle_runs_at_most_every_interval_while_triggers_continue(qtbot, owner):
    fired, triggers = [], []
    d = Debouncer.throttle(60, lambda: fired.append(time.monotonic()), parent=owner)

    def tick():
        triggers.append(1)
        d.trigger()

    stream = _stream(owner, 5, tick)
    qtbot.waitUntil(lambda: len(fired) >= 4, timeout=10000)
    stream.stop()
    assert all(b - a >= 0.9 * 0.060 for a, b in zip(fired, fired[1:]))
    assert len(triggers) > len(fired)  # coalesced
    d.cancel()


def test_leading_throttle_runs_the_first_trigger_at_once(qtbot, owner):
    calls = []
    d = Debouncer.throttle(10_000, lambda: calls.append(1), leading=True, parent=owner)
    d.trigger()
    assert calls == [1] and not d.pending  # synchronously
    d.trigger()
    d.trigger()
    assert calls == [1] and d.pending  # the rest waits for the interval
    d.flush()
    assert calls == [1, 1] and not d.pending
    d.flush()
    assert calls == [1, 1]


def test_fire_cancel_and_the_qtimer_names(qtbot, owner):
    calls = []
    d = Debouncer(50, lambda: calls.append(1), parent=owner)
    d.start()
    assert d.isActive() and d.pending
    d.stop()
    assert not d.isActive()
    qtbot.assertNotEmitted(d.fired, wait=150)
    d.trigger()
    d.fire()  # now, and the pending run is dropped
    assert calls == [1] and not d.pending


def test_nothing_runs_after_the_owner_is_deleted(qtbot, qapp):
    calls = []
    owner = QObject()
    d = Debouncer(0, lambda: calls.append(1), parent=owner)
    d.trigger()
    _delete(owner)
    QCoreApplication.processEvents()
    assert calls == []
