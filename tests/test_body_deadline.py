"""The shared body-read deadline on asyncio: a late read is a 408, any other cancellation goes on
as it came, and the sweeper lives only while reads are in progress."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest

from hookreceiver import body_deadline
from hookreceiver.exceptions import BodyTimeout
from hookreceiver.intake import read_body

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


def stalled(gate: asyncio.Event | None = None) -> Receive:
    """A client that declared a body and sends it only when ``gate`` opens (never without one)."""

    async def receive() -> MutableMapping[str, Any]:
        await (gate or asyncio.Event()).wait()
        return {"type": "http.request", "body": b"late", "more_body": False}

    return receive


def prompt(body: bytes) -> Receive:
    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def test_a_stalled_read_is_a_408_within_its_deadline_and_a_tick() -> None:
    async def main() -> float:
        started = time.monotonic()
        with pytest.raises(BodyTimeout) as info:
            await read_body(stalled(), {"content-length": "4"}, 100, timeout=0.1)
        assert (info.value.status_hint, info.value.reason) == (408, "body_timeout")
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0  # the deadline's cancel was taken back
        await asyncio.sleep(0)  # and nothing is pending: the task goes on as before
        return time.monotonic() - started

    elapsed = asyncio.run(main())
    assert 0.1 <= elapsed < 0.1 + body_deadline.TICK + 0.2


def test_only_the_late_reads_time_out() -> None:
    async def main() -> list[object]:
        gate = asyncio.Event()

        async def read(timeout: float) -> object:
            try:
                return await read_body(stalled(gate), {}, 100, timeout=timeout)
            except BodyTimeout as exc:
                return exc.reason

        reads = [asyncio.create_task(read(t)) for t in (0.05, 5.0, 0.05, 5.0)]
        await asyncio.sleep(0.05 + 2 * body_deadline.TICK)
        gate.set()
        return list(await asyncio.gather(*reads))

    assert asyncio.run(main()) == ["body_timeout", b"late", "body_timeout", b"late"]


def test_a_cancelled_read_stays_cancelled() -> None:
    """A server cancelling a request (shutdown, disconnect) is not turned into a 408."""

    async def main() -> None:
        task = asyncio.create_task(read_body(stalled(), {}, 100, timeout=5.0))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_a_read_cancelled_from_outside_as_its_deadline_passes_stays_cancelled() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(read_body(stalled(), {}, 100, timeout=5.0))
        await asyncio.sleep(0.01)  # the read is waiting for its body
        watch = body_deadline.deadlines(loop)
        watch.expire(task)  # what the sweeper does once the deadline passes
        task.cancel()  # and someone else cancels it too, before the read saw the first
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_the_sweeper_runs_only_while_reads_are_in_progress() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert await read_body(prompt(b"ok"), {}, 100, timeout=1.0) == b"ok"
        watch = body_deadline.deadlines(loop)
        assert watch.reads == {} and watch.expired == {}
        sweeper = watch.sweeper
        assert sweeper is not None  # started by the read, ends at its next look
        await asyncio.sleep(2 * body_deadline.TICK)
        assert sweeper.done() and watch.sweeper is None
        assert await read_body(prompt(b"again"), {}, 100, timeout=1.0) == b"again"
        assert watch.sweeper is not None and watch.sweeper is not sweeper  # a new one, as needed

    asyncio.run(main())


def test_each_loop_has_its_own_deadlines() -> None:
    async def main() -> body_deadline.Deadlines:
        await read_body(prompt(b"x"), {}, 100, timeout=1.0)
        return body_deadline.deadlines(asyncio.get_running_loop())

    first, second = asyncio.run(main()), asyncio.run(main())
    assert first is not second and first.loop is not second.loop
