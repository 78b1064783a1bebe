"""What a sweep does to the Dask workers it runs on (imported only with Dask installed and asked for)."""

from __future__ import annotations

from distributed import WorkerPlugin


class QuietWorker(WorkerPlugin):
    """A Dask worker plugin: the worker's own periodic chores, made quiet while it runs simulations.

    A Dask worker runs, beside its tasks, a statistical profiler that samples every thread's stack
    every 10 ms, an event-loop "tick" every 20 ms and memory and system monitors. Each takes the GIL
    from the task thread: on this project's machines a pure-Python simulation task ran 20-75% slower
    in a worker than in a plain process. The plugin stops the profiler and the tick (diagnostics
    only) and slows the monitors to once a second; heartbeats, memory limits and everything the
    scheduler relies on keep working. Registered by :class:`DaskExecutor` on every worker, present
    and future. (Workers can also be started that way: ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False
    dask worker ...``.)"""

    name = "contactsim-quiet-worker"
    idempotent = True

    def setup(self, worker) -> None:
        callbacks = getattr(worker, "periodic_callbacks", {})
        for chore in ("profile", "profile-cycle", "tick"):
            if chore in callbacks:
                callbacks[chore].stop()
        for chore in ("monitor", "memory_monitor"):
            if chore in callbacks:
                callbacks[chore].callback_time = max(callbacks[chore].callback_time, 1000)
