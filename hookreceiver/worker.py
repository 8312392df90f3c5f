"""The worker: takes deliveries from a store's inbox and runs their handlers.

One delivery is one job: every handler matching its topics runs, in registration order. If any
raises, the whole delivery is retried after an exponential backoff with jitter (the store keeps
the schedule, no coroutine sleeps holding a slot); after the endpoint's ``max_attempts`` it is
buried in the dead letters with the last traceback. On ``stop`` in-flight jobs get a grace period,
then are handed back unrun (``release``); a job whose worker died is run again by another worker
once the store hands it out (Redis: after its visibility timeout). Handlers therefore see
at-least-once delivery. ``delivery.attempt`` is 1 plus the runs that failed: a run taken over
from a worker that died keeps the attempt it had, so it is not a count of every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import os
import random
import socket
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread

import hookreceiver.defaults as defaults
from hookreceiver.core.delivery import Delivery
from hookreceiver.core.routing import Route
from hookreceiver.core.typed import bind_model
from hookreceiver.endpoint import Endpoint, RetryPolicy
from hookreceiver.exceptions import StoreError
from hookreceiver.logs import job_fields
from hookreceiver.logtext import loggable
from hookreceiver.stores.base import Job, Store

__all__ = ["Outcome", "RetryPolicy", "Worker", "run_handler", "run_handlers"]  # RetryPolicy: endpoint.py

log = logging.getLogger("hookreceiver.worker")
MAX_ERROR_CHARS = 8000
RUNS_PER_TURN = 16  # jobs a runner runs back to back before it yields to the event loop
PREFETCH_FACTOR = 4  # jobs held per running slot by default, on a shared store (see Worker.prefetch)
# Jobs held by default from a store only this process reaches (the memory store): holding them
# costs nothing and takes nothing from other workers, and an in-process worker that reads only a
# few dozen per turn of the event loop falls behind the requests served on the same loop.
LOCAL_PREFETCH = 1024
STOP_MARGIN = 5.0  # seconds past poll_interval a stopping worker waits for its take to return


@dataclass(frozen=True)
class Outcome:
    """What happened to one job: ``done``, ``retry`` (with ``delay``), ``dead`` or ``released``."""

    delivery: Delivery
    status: Literal["done", "retry", "dead", "released"]
    error: BaseException | None = None
    delay: float | None = None
    duration: float | None = None  # seconds the handlers ran (None when none ran)


async def run_handler(route: Route, delivery: Delivery) -> None:
    """Run one handler: coroutines are awaited, plain functions run in a worker thread."""
    argument: Any = delivery
    if route.model is not None:
        argument = bind_model(delivery, route.model)
    if route.is_async:
        await route.handler(argument)
        return
    result = await anyio.to_thread.run_sync(functools.partial(route.handler, argument))
    if inspect.isgenerator(result) or inspect.isasyncgen(result):
        # Its body would never run; fail loudly rather than record the delivery as handled.
        raise TypeError(f"handler {route.name} returned a generator; handlers must run to completion")
    if inspect.isawaitable(result):
        await result


async def run_handlers(endpoint: Endpoint, delivery: Delivery) -> int:
    """Run every handler of ``endpoint`` matching ``delivery``'s topics, in order; returns how
    many ran. The first failing handler's exception propagates (the rest do not run)."""
    routes = endpoint.router.fetch(delivery.topics)
    for route in routes:
        await run_handler(route, delivery)
    return len(routes)


def _format_error(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return text[-MAX_ERROR_CHARS:]


class Worker:
    """Runs the handlers of ``endpoints`` (path -> Endpoint) for jobs from one store,
    ``concurrency`` deliveries at a time."""

    def __init__(
        self,
        endpoints: Mapping[str, Endpoint],
        store: Store,
        *,
        concurrency: int = defaults.WORKER_CONCURRENCY,
        consumer: str | None = None,
        poll_interval: float = 1.0,
        rand: Callable[[], float] = random.random,
        prefetch: int | None = None,
    ) -> None:
        self.endpoints = endpoints  # read at each job: endpoints added later are seen
        self.store = store
        self.concurrency = max(1, concurrency)
        # Jobs held at once, running or taken ahead to run next: the store is read in batches of
        # up to half this many (one round trip each on Redis), not one slot's worth at a time.
        if prefetch is None:
            prefetch = PREFETCH_FACTOR * self.concurrency if store.shared else LOCAL_PREFETCH
        self.prefetch = max(self.concurrency, prefetch)
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.poll_interval = poll_interval
        self._rand = rand
        self._tasks: set[asyncio.Task[None]] = set()  # the runner tasks
        self._busy: set[asyncio.Task[None]] = set()  # the runners running a job right now
        self._ahead: deque[Job] = deque()  # taken, not started yet
        self._room = asyncio.Event()  # (made anew by serve(), on its loop) set when room to take
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self.listeners: list[Callable[[Outcome], None]] = []

    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    @property
    def in_flight(self) -> int:
        """Jobs held: running, or taken ahead to run next."""
        return len(self._ahead) + len(self._busy)

    async def run_job(self, job: Job) -> Outcome:
        """Run every matching handler for one job and record the result in the store."""
        delivery = job.delivery
        endpoint = self.endpoints.get(delivery.endpoint)
        started = time.perf_counter()
        try:
            if endpoint is None:
                raise LookupError(f"no endpoint {delivery.endpoint!r} in this receiver")
            await run_handlers(endpoint, delivery)
        except asyncio.CancelledError:
            await self.store.release(job)
            raise
        except Exception as exc:  # a handler's failure is the delivery's, never the worker's
            return await self._failed(job, exc, endpoint, time.perf_counter() - started)
        duration = time.perf_counter() - started
        await self.store.complete(job)
        if log.isEnabledFor(logging.INFO):  # the hot path: no formatting when nobody listens
            log.info(
                "handled endpoint=%s topic=%s delivery_id=%s attempt=%d duration_ms=%.1f",
                delivery.endpoint,
                loggable(delivery.topic),
                loggable(delivery.delivery_id),
                delivery.attempt,
                duration * 1000,
                extra=job_fields(delivery, "done", duration),
            )
        return self._report(Outcome(delivery, "done", duration=duration))

    async def _failed(self, job: Job, exc: Exception, endpoint: Endpoint | None, duration: float) -> Outcome:
        delivery = job.delivery
        policy = endpoint.retry if endpoint is not None else RetryPolicy(max_attempts=1)
        error = _format_error(exc)
        if delivery.attempt >= policy.max_attempts:
            log.error(
                "dead-lettered endpoint=%s topic=%s delivery_id=%s attempt=%d error=%r",
                delivery.endpoint,
                loggable(delivery.topic),
                loggable(delivery.delivery_id),
                delivery.attempt,
                exc,
                exc_info=exc,
                extra=job_fields(delivery, "dead", duration, error=type(exc).__name__),
            )
            await self.store.bury(job, error=error)
            return self._report(Outcome(delivery, "dead", exc, duration=duration))
        delay = policy.delay(delivery.attempt, self._rand())
        log.warning(
            "handler failed endpoint=%s topic=%s delivery_id=%s attempt=%d retry_in=%.1fs error=%r",
            delivery.endpoint,
            loggable(delivery.topic),
            loggable(delivery.delivery_id),
            delivery.attempt,
            delay,
            exc,
            exc_info=exc,
            extra=job_fields(delivery, "retry", duration, error=type(exc).__name__),
        )
        await self.store.retry(job, delay=delay, error=error)
        return self._report(Outcome(delivery, "retry", exc, delay, duration))

    def _report(self, outcome: Outcome) -> Outcome:
        if not self.listeners:
            return outcome
        for listener in list(self.listeners):
            try:
                listener(outcome)
            except Exception:
                log.exception("outcome listener failed")
        return outcome

    async def run_once(self, *, wait: float = 0.0) -> list[Outcome]:
        """Take what is due (up to ``concurrency``) and run it to the end; for tests and tools."""
        jobs = await self.store.take(self.consumer, limit=self.concurrency, wait=wait)
        return list(await asyncio.gather(*(self.run_job(job) for job in jobs)))

    async def serve(self) -> None:
        """Take and run jobs until :meth:`stop`. Store failures of any kind pause the loop for
        ``poll_interval``; they never end it.

        Up to ``prefetch`` jobs are held at once, at most ``concurrency`` of them running (one
        runner task each); the store is read again once half of them are done, for as many as
        there is room for. A runner goes on to the next held job without a new task, yielding
        to the event loop every few jobs, so requests served by the same loop keep their turn.
        """
        self._room = asyncio.Event()
        while not self._stopping:
            if self.in_flight > self.prefetch // 2:
                self._room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), self.poll_interval)
                continue
            try:
                jobs = await self.store.take(
                    self.consumer, limit=self.prefetch - self.in_flight, wait=self.poll_interval
                )
            except StoreError as exc:
                log.error("store unavailable, worker pauses: %s", exc)
                await asyncio.sleep(self.poll_interval)
                continue
            except Exception:
                log.exception("unexpected error taking jobs, worker pauses consumer=%s", self.consumer)
                await asyncio.sleep(self.poll_interval)
                continue
            self._ahead.extend(jobs)
            while self._ahead and len(self._tasks) < self.concurrency:
                task = asyncio.create_task(self._runner())
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._busy.discard(task)  # a runner cancelled mid-job ends busy

    async def _runner(self) -> None:
        """Run held jobs one after another until none is left (or the worker stops)."""
        task = asyncio.current_task()
        assert task is not None
        run = 0
        while self._ahead and not self._stopping:
            job = self._ahead.popleft()
            self._busy.add(task)
            await self._guarded(job)
            self._busy.discard(task)
            if self.in_flight <= self.prefetch // 2:
                self._room.set()
            run += 1
            if run % RUNS_PER_TURN == 0:
                await asyncio.sleep(0)  # let the loop serve others (requests) between jobs

    async def _guarded(self, job: Job) -> Outcome:
        try:
            return await self.run_job(job)
        except Exception as exc:
            # The outcome could not be recorded; the store hands the job out again later.
            log.error(
                "could not record outcome delivery_id=%s: %s",
                loggable(job.delivery.delivery_id),
                exc,
                exc_info=not isinstance(exc, StoreError),
            )
            return Outcome(job.delivery, "released", exc)

    def start(self) -> None:
        """Start serving in the background on the running event loop."""
        if self.running:
            return
        self._stopping = False
        self._loop_task = asyncio.create_task(self.serve(), name=f"hookreceiver-{self.consumer}")

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop taking jobs; let in-flight ones finish for ``grace`` seconds, then hand them back.

        A take in progress is let finish (it waits at most ``poll_interval``) rather than
        cancelled: a read cancelled half way could leave entries delivered to nobody.
        """
        self._stopping = True
        self._room.set()  # a loop waiting for room to take more wakes up and ends
        if self._loop_task is not None:
            loop_task, self._loop_task = self._loop_task, None
            await asyncio.wait([loop_task], timeout=self.poll_interval + STOP_MARGIN)
            if not loop_task.done():  # the store hangs: give up on the take
                loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop_task
        ahead = list(self._ahead)
        self._ahead.clear()
        for job in ahead:  # taken ahead, never started: handed back at once, uncounted
            with contextlib.suppress(Exception):
                await self.store.release(job)
        if ahead:
            log.info("handed back %d deliveries taken ahead at shutdown", len(ahead))
        if self._tasks:
            _, pending = await asyncio.wait(list(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("handed back %d in-flight deliveries at shutdown", len(pending))
                await asyncio.wait(pending)
