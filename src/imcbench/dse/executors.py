"""Where sweep batches run: in this process, in local worker processes, or on a Dask cluster.

Every executor runs the same function (:func:`imcbench.dse.worker.run_batch`) on the same tasks and
yields the outputs as they finish, so results do not depend on the executor. Executors only compute:
the caller writes the results.

* ``serial``: in this process (debugging, tiny sweeps);
* ``local``: a pool of worker processes (``concurrent.futures``), started through a fork server that
  has imported imcbench once; a worker that dies (killed, out of memory) breaks the pool: the pool is
  restarted and the unfinished batches are run again, up to :data:`MAX_POOL_RESTARTS` times;
* ``dask``: ``dask.distributed``: a running scheduler (``tcp://host:port``) or a `LocalCluster`.
  Dask re-runs the batches of a lost worker itself.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator, Protocol

from imcbench.dse.worker import BatchOutput, BatchTask, run_batch
from imcbench.errors import ImcbenchError

MAX_POOL_RESTARTS = 3  # a batch that keeps killing its worker is a bug, not bad luck
CONNECT_TIMEOUT_S = 10  # reaching a Dask scheduler
WORKER_WAIT_S = 60  # waiting for the first worker of a Dask cluster
EXECUTORS = ("local", "dask", "serial")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Executor(Protocol):
    name: str
    workers: int

    def run(self, tasks: list[BatchTask]) -> Iterator[BatchOutput]: ...

    def close(self) -> None: ...


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None,
                  dask_processes: bool = True) -> Executor:
    """The executor called ``name`` (``local``, ``dask`` or ``serial``)."""
    if scheduler and name != "dask":
        raise ImcbenchError("--scheduler needs --executor dask")
    if workers is not None and workers < 1:
        raise ImcbenchError(f"--workers {workers}: give at least 1 worker")
    if name == "serial":
        return SerialExecutor()
    if name == "local":
        return LocalExecutor(workers or default_workers())
    if name == "dask":
        return DaskExecutor(scheduler, workers, processes=dask_processes)
    raise ImcbenchError(f"executor {name!r} is not known; use one of {', '.join(EXECUTORS)}")


def default_workers() -> int:
    """One worker per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    name = "serial"
    workers = 1

    def run(self, tasks: list[BatchTask]) -> Iterator[BatchOutput]:
        for task in tasks:
            yield run_batch(task)

    def close(self) -> None:
        pass


def _init_worker() -> None:
    """Workers leave Ctrl-C to the parent (which stops them) instead of each printing a traceback, die
    quietly when terminated (a forked worker inherits the parent's handlers), and die with their parent
    (a killed sweep must not leave idle workers behind)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before the request
            os._exit(1)
    except (OSError, AttributeError):
        pass


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int):
        self.workers = workers
        # The first pool forks this process right away (fast: imcbench is imported already), before the
        # caller opens the database or starts a progress thread; pools restarted later, when threads run,
        # come from a fork server that imported imcbench once (forking a threaded process is unsafe).
        self._restart_context = multiprocessing.get_context("forkserver")
        self._restart_context.set_forkserver_preload(["imcbench.dse.worker"])
        first = "fork" if sys.platform.startswith("linux") else "forkserver"
        self._pool: ProcessPoolExecutor | None = self._new_pool(multiprocessing.get_context(first))
        self._futures: set = set()

    def _new_pool(self, context) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker)
        pool.submit(int)  # starts the worker processes now
        return pool

    def run(self, tasks: list[BatchTask]) -> Iterator[BatchOutput]:
        pending = {task.batch_id: task for task in tasks}
        restarts = 0
        while pending:
            if self._pool is None:
                self._pool = self._new_pool(self._restart_context)
            futures = self._futures = {self._pool.submit(run_batch, task) for task in pending.values()}
            try:
                while futures:
                    done, futures = wait(futures, return_when=FIRST_COMPLETED)
                    for future in done:
                        output = future.result()
                        pending.pop(output.batch_id, None)
                        yield output
            except BrokenProcessPool:
                salvaged = list(self._salvage(futures, pending))
                self._stop(kill=True)
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    raise ImcbenchError(f"worker processes died {restarts} times (killed, or out of memory): "
                                        "finished batches are kept; re-run the same command to resume") from None
                yield from salvaged
            except BaseException:  # Ctrl-C, an error, or the caller stopped reading: stop the workers now
                self._stop(kill=True)
                raise

    @staticmethod
    def _salvage(futures, pending) -> Iterator[BatchOutput]:
        """Outputs that finished before the pool broke."""
        for future in futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                output = future.result()
                pending.pop(output.batch_id, None)
                yield output

    def _stop(self, kill: bool = False) -> None:
        """Shut the pool down; ``kill``: at once, without waiting for the batches in flight."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not kill:
            pool.shutdown(wait=True)
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle on them
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        """Wait for idle workers to exit; kill them if batches are still queued (the caller stopped
        early: waiting would run the whole rest of the sweep)."""
        busy = self._pool is not None and any(not f.done() for f in self._futures)
        self._stop(kill=busy)


def _quiet_dask_logs() -> None:
    """distributed logs every failed reconnection with a traceback (35 lines for a lost scheduler); the
    error this executor raises says it in one line."""
    names = [n for n in list(logging.root.manager.loggerDict) if n == "distributed" or n.startswith("distributed.")]
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _connection_lost(exc: Exception, text: str) -> bool:
    return (isinstance(exc, OSError) or exc.__class__.__name__ == "CommClosedError"
            or "connection-lost" in text or "lost the connection" in text)


class DaskExecutor:
    name = "dask"

    def __init__(self, scheduler: str | None, workers: int | None, processes: bool = True):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ImcbenchError("--executor dask needs dask.distributed: pip install 'imcbench[dask]'") from None
        self.cluster = None
        self.scheduler = scheduler or "a local cluster"
        _quiet_dask_logs()
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
            except (ValueError, TypeError) as exc:
                raise ImcbenchError(f"--scheduler {scheduler!r} is not a Dask scheduler address "
                                    f"({str(exc).splitlines()[0]}): give tcp://HOST:PORT, as printed by "
                                    "'dask scheduler'") from None
            except (OSError, TimeoutError) as exc:
                raise ImcbenchError(f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S} s "
                                    f"({exc.__class__.__name__}): start one with 'dask scheduler' and workers with "
                                    f"'dask worker {scheduler}'") from None
            try:
                self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError:
                self.close()
                raise ImcbenchError(f"the Dask scheduler at {scheduler} has no worker after {WORKER_WAIT_S} s: "
                                    f"start some with 'dask worker {scheduler}'") from None
        else:
            n = workers or default_workers()
            # processes=False (tests): workers are threads of this process, still reached over TCP on loopback
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, protocol="tcp",
                                        host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def run(self, tasks: list[BatchTask]) -> Iterator[BatchOutput]:
        from dask.distributed import as_completed

        run = uuid.uuid4().hex[:8]
        futures = [self.client.submit(run_batch, task, pure=False, key=f"imcbench-batch-{run}-{task.batch_id}")
                   for task in tasks]
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except ImcbenchError:
                    raise
                except Exception as exc:  # a lost worker (KilledWorker) or scheduler, imcbench missing on a worker
                    text = " ".join(str(exc).split())
                    if _connection_lost(exc, text):
                        raise ImcbenchError(f"lost the connection to the Dask scheduler or a worker "
                                            f"({self.scheduler}): finished batches are kept; restart the "
                                            "cluster and re-run the same command to resume") from None
                    raise ImcbenchError(f"a Dask task failed ({exc.__class__.__name__}: {text}); finished batches "
                                        "are kept, re-run to resume (is the same imcbench installed on every "
                                        "worker?)") from None
        finally:
            with contextlib.suppress(Exception):  # nothing to cancel on a lost scheduler
                self.client.cancel(futures)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a lost scheduler cannot be told goodbye
            self.client.close(timeout=CONNECT_TIMEOUT_S)
        if self.cluster is not None:
            self.cluster.close()
