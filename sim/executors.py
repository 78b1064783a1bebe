"""Executors: where a sweep's tasks run, local processes or a Dask cluster, with the same results.

An executor takes a function and a list of tasks and hands back ``(index, result)`` pairs in the
order the tasks *finish*. Nothing about a result depends on where or when its task ran: a task
carries its whole scenario, its random numbers come from (seed, replication, component) only, and
the sweep puts results back in task order (:mod:`sim.sweep`). So ``--jobs 1``, ``--jobs 8`` and a
cluster of any size write the same bytes.

- :class:`LocalExecutor` (the default): ``--jobs K`` worker processes on this machine
  (``concurrent.futures``; forked where the platform allows). One job runs the tasks in this
  process, one after the other. Workers ignore Ctrl-C: the main process catches it, stops handing
  out tasks and ends its workers, so no traceback per worker is printed.
- :class:`DaskExecutor`: a Dask ``distributed`` cluster, given the scheduler's address
  (``--scheduler tcp://HOST:PORT``) or a cluster object (a ``LocalCluster`` in tests). Dask is an
  optional extra (``pip install .[dist]``), imported only when asked for. Workers need contactsim
  installed (the same version) and should run one thread each (``--nthreads 1``): a simulation is
  pure Python, so threads in one process would only share one core. A worker that dies has its
  task run again elsewhere by the scheduler (same task, same numbers).

Both can be interrupted: closing the iterator early (Ctrl-C in the consumer) cancels what has not
started.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

DIST_HINT = "pip install '.[dist]' (or pip install 'dask[distributed]')"
"""How to get the optional Dask dependency."""


class ExecutorError(Exception):
    """The executor cannot be used (exit status 2); the message is one line."""


def ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C is the main process's to handle, and SIGTERM (how it ends a worker,
    :func:`stop_pool`) ends the worker quietly, whatever handler it inherited from the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class LocalExecutor:
    """Tasks on *jobs* local processes (in this process when *jobs* is 1 and *pool* is false)."""

    def __init__(self, jobs: int = 1, pool: bool | None = None):
        self.jobs = max(1, int(jobs))
        """Worker processes."""
        self.pool = self.jobs > 1 if pool is None else pool
        """Use worker processes even for one job (the benchmark does, to time the same path)."""
        self.description = f"{self.jobs} local process{'es' if self.jobs > 1 else ''}"
        """How the executor is named in messages and in the manifest."""

    def map_unordered(self, function: Callable[[Any], Any], tasks: list) -> Iterator[tuple[int, Any]]:
        """``(index, function(tasks[index]))`` for every task, as tasks finish."""
        if not tasks:
            return
        if not self.pool:
            for index, task in enumerate(tasks):
                yield index, function(task)
            return
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        executor = ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks)), mp_context=context,
                                       initializer=ignore_interrupts)
        finished = False
        try:
            # at most two tasks queued per worker: cancelling on Ctrl-C is immediate, and memory stays flat
            pending: dict = {}
            queue = iter(enumerate(tasks))
            window = 2 * self.jobs

            def refill():
                while len(pending) < window:
                    item = next(queue, None)
                    if item is None:
                        return
                    pending[executor.submit(function, item[1])] = item[0]

            refill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                failed = None
                for future in sorted(done, key=pending.get):
                    index = pending.pop(future)
                    if future.exception() is not None:  # a task failed, or a worker died
                        failed = failed or future
                        continue
                    yield index, future.result()  # every task that did finish is handed over first
                if failed is not None:
                    failed.result()
                refill()
            finished = True
        finally:
            if finished:
                executor.shutdown(wait=True)
            else:
                stop_pool(executor)


def stop_pool(executor: ProcessPoolExecutor) -> None:
    """Cancel queued tasks and end the worker processes now (their running tasks are dropped)."""
    # the processes are taken first: shutdown() forgets them
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def import_distributed():
    """The ``distributed`` module, or :class:`ExecutorError` saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ExecutorError(f"--scheduler needs Dask distributed, which is not installed: {DIST_HINT}") from None
    return distributed


ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.\-]+)(:\d{1,5})?/?$")
"""A scheduler address as ``dask scheduler`` prints it (``tcp://10.0.0.5:8786``)."""


def check_address(address: str) -> str:
    """*address* if it looks like a scheduler's, else :class:`ExecutorError`."""
    if not ADDRESS.match(address.strip()):
        raise ExecutorError(f"--scheduler: a Dask scheduler address like tcp://HOST:PORT (got {address!r})")
    return address.strip()


class DaskExecutor:
    """Tasks on a Dask cluster: a scheduler *address* (``tcp://HOST:PORT``) or a *cluster* object."""

    def __init__(self, address: str | None = None, cluster=None, timeout_s: float = 10.0):
        distributed = import_distributed()
        self.distributed = distributed
        target = cluster if cluster is not None else check_address(address)
        try:
            self.client = distributed.Client(target, timeout=timeout_s, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise ExecutorError(
                f"--scheduler {address}: cannot reach a Dask scheduler there ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else 'no answer'}); start one with `dask scheduler` "
                "and pass the address it prints, like tcp://127.0.0.1:8786") from None
        self.address = self.client.scheduler.address
        self.description = f"Dask at {self.address}"
        from sim.dask_worker import QuietWorker

        self.client.register_plugin(QuietWorker(), name=QuietWorker.name)

    def workers(self) -> int:
        """Workers connected now."""
        return len(self.client.scheduler_info().get("workers", {}))

    def map_unordered(self, function: Callable[[Any], Any], tasks: list) -> Iterator[tuple[int, Any]]:
        """``(index, function(tasks[index]))`` for every task, as tasks finish on the cluster."""
        if not tasks:
            return
        run = uuid.uuid4().hex[:12]
        futures = [self.client.submit(function, task, key=f"contactsim-{run}-{index}", pure=False)
                   for index, task in enumerate(tasks)]
        index_of = {future.key: index for index, future in enumerate(futures)}
        finished = False
        try:
            for future in self.distributed.as_completed(futures, loop=self.client.loop):
                try:
                    result = future.result()
                except ModuleNotFoundError as error:
                    raise ExecutorError(
                        f"the Dask workers at {self.address} cannot import contactsim ({error}); install it "
                        f"on every worker ({DIST_HINT} in the project) and restart them") from None
                index = index_of[future.key]
                future.release()
                yield index, result
            finished = True
        finally:
            if not finished:
                self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()


def make_executor(jobs: int | None = None, scheduler: str | None = None):
    """The executor the command line asks for: Dask with a scheduler address, else local processes."""
    if scheduler:
        return DaskExecutor(scheduler)
    from sim.runner import default_jobs

    return LocalExecutor(jobs or default_jobs())


def close(executor) -> None:
    """Release what *executor* holds (a Dask client), if anything."""
    closer = getattr(executor, "close", None)
    if closer is not None:
        closer()
