"""Post signed deliveries to a receiver in-process and run its handlers before returning.

``HookClient`` drives a :class:`~hookreceiver.HookReceiver` the way a test wants it: the request
goes through the real ASGI app (over ``httpx.ASGITransport``: signature, decoding, dedupe and
storage all run), then the client runs the receiver's worker itself with ``run_once`` until
nothing is due, so the handlers have finished when ``send`` returns. No sleeps, no background
tasks left behind.

While open, the client gives the receiver a fresh in-memory store (so tests do not share dedupe
state), a frozen clock (so signatures never go stale and retries can be fast-forwarded), and
turns off the background worker; ``close`` puts everything back.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply, delivery_key, endpoint_path
from hookreceiver.endpoint import public_url
from hookreceiver.exceptions import DeliveryError
from hookreceiver.providers.base import read_verified
from hookreceiver.stores.base import DeadLetter, Store
from hookreceiver.stores.memory import MemoryStore
from hookreceiver.testing.clock import FrozenClock
from hookreceiver.testing.signing import build_request
from hookreceiver.worker import Outcome, Worker

if TYPE_CHECKING:
    import httpx

    from hookreceiver.receiver import Endpoint, HookReceiver

__all__ = ["HookClient", "SendResult", "Status"]

BASE_URL = "http://testserver"
Status = Literal["done", "failed", "dead", "rejected", "not_run"]


@dataclass(frozen=True)
class SendResult:
    """What happened to one request: the HTTP response, then the handler runs of its delivery.

    ``outcomes`` holds the runs of this request's own deliveries (its ``keys``: one, or each item
    of a batch) only; runs of other deliveries that fell due meanwhile (an earlier send's retry,
    say) are in ``other_outcomes``. ``status`` sums it up: ``rejected`` (not 2xx), ``not_run``
    (acknowledged but no handler ran: a duplicate, an unrouted topic or a handshake), ``done``,
    ``failed`` (a handler raised and a retry is scheduled) or ``dead`` (it raised on the last
    attempt: dead-lettered); for a batch, the worst of its items' last runs.
    """

    request: HttpRequest
    response: httpx.Response
    outcomes: tuple[Outcome, ...]
    other_outcomes: tuple[Outcome, ...] = ()
    key: str | None = None  # "endpoint:delivery_id"; None if the request named no delivery
    keys: tuple[str, ...] = ()  # every delivery the request carried (a batch carries several)

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def outcome(self) -> Outcome | None:
        """The last run of this request's delivery, or ``None`` if it did not run."""
        return self.outcomes[-1] if self.outcomes else None

    @property
    def delivery(self) -> Delivery | None:
        """The stored delivery the handlers saw (``None`` if none ran)."""
        return self.outcome.delivery if self.outcome else None

    @property
    def status(self) -> Status:
        if not self.response.is_success:
            return "rejected"
        if self.outcome is None:
            return "not_run"
        last = {outcome.delivery.key: outcome.status for outcome in self.outcomes}
        for status, word in (("dead", "dead"), ("retry", "failed"), ("done", "done")):
            if status in last.values():
                return word  # type: ignore[return-value]
        return "not_run"

    @property
    def error(self) -> BaseException | None:
        """The exception of this delivery's last run (a handler's, or a payload ``ModelValidationError``)."""
        return self.outcome.error if self.outcome else None

    def raise_for_error(self) -> None:
        """Re-raise this delivery's last exception, so a test fails with the handler's traceback."""
        if self.error is not None:
            raise self.error


class HookClient:
    """Send signed deliveries to ``receiver`` and run its handlers; for tests.

    Use it as ``async with HookClient(receiver) as client:`` (or call ``open``/``close``, as the
    pytest fixture does). ``clock`` is the frozen clock the receiver, its store and the request
    signatures share; ``store`` replaces the receiver's store while open (a fresh
    ``MemoryStore`` on that clock by default).
    """

    def __init__(
        self,
        receiver: HookReceiver,
        *,
        clock: FrozenClock | None = None,
        store: Store | None = None,
        base_url: str = BASE_URL,
    ) -> None:
        self.receiver = receiver
        self.clock = clock or FrozenClock()
        self.store: Store = store if store is not None else MemoryStore(clock=self.clock)
        self.base_url = base_url.rstrip("/")
        self._override: contextlib.ExitStack | None = None
        # Retries this client saw scheduled: key -> (due time on self.clock, endpoint path).
        self._scheduled: dict[str, tuple[float, str]] = {}

    def __repr__(self) -> str:
        return f"HookClient({self.receiver!r}, clock={self.clock!r})"

    # -- installing into the receiver ---------------------------------------------------------

    def open(self) -> None:
        """Give the receiver this client's store and clock, and a worker this client drives."""
        if self._override is not None:
            return
        stack = contextlib.ExitStack()
        try:
            worker = stack.enter_context(
                self.receiver.override(store=self.store, clock=self.clock, run_worker=False)
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc} (HookClient runs the handlers itself)") from None
        worker.listeners.append(self._track)
        self._scheduled.clear()
        self._override = stack

    def close(self) -> None:
        """Put the receiver's own store, worker and clock back."""
        if self._override is None:
            return
        self._override.close()
        self._override = None

    async def __aenter__(self) -> HookClient:
        self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def worker(self) -> Worker:
        self._check_open()
        return self.receiver.worker

    def _check_open(self) -> None:
        if self._override is None:
            raise RuntimeError("use `async with HookClient(receiver) as client:` (or call open())")

    # -- sending ------------------------------------------------------------------------------

    def endpoint(self, path: str) -> Endpoint:
        """The receiver's endpoint at ``path``."""
        try:
            return self.receiver.endpoints[endpoint_path(path)]
        except KeyError:
            known = ", ".join(self.receiver.endpoints) or "none"
            raise LookupError(f"no endpoint at {path!r} (endpoints: {known})") from None

    def url(self, path: str) -> str:
        """The URL the receiver believes it was called at for ``path`` (what Twilio signs)."""
        endpoint = self.endpoint(path)
        base = self.receiver.settings.public_base_url
        return public_url(endpoint, base_url=base, origin=self.base_url, path=endpoint.path)

    def request(
        self,
        path: str,
        payload: Any = None,
        *,
        topic: str | None = None,
        delivery_id: str | None = None,
        fresh_id: bool = False,
        timestamp: float | None = None,
        secret_index: int = 0,
    ) -> HttpRequest:
        """The signed request the endpoint at ``path`` expects, without sending it.

        Signed by the endpoint's own provider (so with its secret) at the frozen clock's time;
        useful to tamper with before :meth:`post`. See :func:`build_request` for the defaults.
        """
        endpoint = self.endpoint(path)
        request = build_request(
            endpoint.provider,
            payload,
            topic=topic,
            delivery_id=delivery_id,
            fresh_id=fresh_id,
            timestamp=self.clock() if timestamp is None else timestamp,
            url=self.url(path),
            secret_index=secret_index,
        )
        # ``url`` is what the sender called (maybe a proxy's); ``path`` is where the receiver
        # serves the endpoint, which is where ``post`` sends it.
        return replace(request, path=endpoint.path)

    async def send(
        self,
        path: str,
        payload: Any = None,
        *,
        topic: str | None = None,
        delivery_id: str | None = None,
        fresh_id: bool = False,
        timestamp: float | None = None,
        secret_index: int = 0,
        settle: bool = False,
    ) -> SendResult:
        """Sign, post to ``path``, and run the handlers; see :class:`SendResult`.

        ``fresh_id=True`` gives the delivery a new id each time (see :func:`build_request`).
        With ``settle``, scheduled retries run too (the frozen clock jumps over each delay) until
        the delivery is done or dead-lettered.
        """
        request = self.request(
            path,
            payload,
            topic=topic,
            delivery_id=delivery_id,
            fresh_id=fresh_id,
            timestamp=timestamp,
            secret_index=secret_index,
        )
        return await self.post(request, settle=settle)

    async def post(self, request: HttpRequest, *, settle: bool = False) -> SendResult:
        """Post a request as is (signed, tampered or unsigned) to ``request.path`` in-process,
        then run the handlers for what became due."""
        import httpx  # only the in-process client needs it, not `hookreceiver send`

        self._check_open()
        target = self.base_url + request.path + (f"?{request.query_string}" if request.query_string else "")
        transport = httpx.ASGITransport(app=self.receiver)
        async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as http:
            response = await http.request(
                request.method, target, headers=dict(request.headers), content=request.body
            )
        if not response.is_success:
            return SendResult(request, response, ())
        keys = self._delivery_keys(request, response)
        ran = await self.run(settle=settle)
        return SendResult(
            request,
            response,
            outcomes=tuple(o for o in ran if o.delivery.key in keys),
            other_outcomes=tuple(o for o in ran if o.delivery.key not in keys),
            key=keys[0] if keys else None,
            keys=keys,
        )

    def _delivery_keys(self, request: HttpRequest, response: httpx.Response) -> tuple[str, ...]:
        """The dedupe keys of the deliveries ``request`` carries (several for a batch): the ids the
        JSON ack names (the ids stored, even where a provider makes one up per reading, as Dropbox
        does), then the keys the provider pipeline reads from the request (for an ack of the
        provider's own shape, such as Adyen's ``[accepted]``). None for a handshake."""
        endpoint = self.receiver.endpoints.get(endpoint_path(request.path))
        if endpoint is None:
            return ()
        try:
            read = read_verified(endpoint.provider, request, endpoint=endpoint.path, now=self.clock())
        except DeliveryError:
            read = ()
        if isinstance(read, Reply):
            return ()  # a handshake is answered, never stored
        named = [delivery_key(endpoint.path, name) for name in _named_ids(response)]
        return tuple(dict.fromkeys([*named, *(delivery.key for delivery in read)]))

    def _track(self, outcome: Outcome) -> None:
        """Worker listener: remember when each scheduled retry falls due (for ``settle``)."""
        key = outcome.delivery.key
        if outcome.status == "retry" and outcome.delay is not None:
            self._scheduled[key] = (self.clock() + outcome.delay, outcome.delivery.endpoint)
        else:
            self._scheduled.pop(key, None)

    def _max_attempts(self, endpoint_path: str) -> int:
        endpoint = self.receiver.endpoints.get(endpoint_path)
        return endpoint.retry.max_attempts if endpoint is not None else 1

    async def run(self, *, settle: bool = False) -> tuple[Outcome, ...]:
        """Run the receiver's handlers for everything due (after a ``replay``, say) until idle.

        With ``settle``, retries scheduled for later run too, including those of earlier sends:
        when nothing is due, the frozen clock jumps to the next retry's due time, until no retry
        is left (each delivery is waited for at most its endpoint's ``max_attempts`` times).
        """
        worker = self.worker
        outcomes: list[Outcome] = []
        jumps: dict[str, int] = {}
        while True:
            batch = await worker.run_once()
            outcomes.extend(batch)
            if batch:
                continue
            if not settle:
                return tuple(outcomes)
            now = self.clock()
            # Due but not handed out: superseded, expired or kept on another clock; not ours to wait for.
            for key in [k for k, (due, _) in self._scheduled.items() if due <= now]:
                del self._scheduled[key]
            for key in [
                k for k, (_, path) in self._scheduled.items() if jumps.get(k, 0) >= self._max_attempts(path)
            ]:
                del self._scheduled[key]
            if not self._scheduled:
                return tuple(outcomes)
            key, (due, _) = min(self._scheduled.items(), key=lambda item: item[1][0])
            jumps[key] = jumps.get(key, 0) + 1
            self.clock.set(due)

    async def dead_letters(self) -> list[DeadLetter]:
        """The dead letters in the client's store."""
        return await self.store.dead_letters()


def _named_ids(response: httpx.Response) -> list[str]:
    """The delivery ids a JSON ack names: its ``delivery_id``, or each of a batch's."""
    try:
        answer = response.json()
    except ValueError:
        return []
    if not isinstance(answer, dict):
        return []
    entries = answer.get("deliveries") if answer.get("status") == "batch" else [answer]
    if not isinstance(entries, list):
        return []
    return [
        entry["delivery_id"]
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("delivery_id"), str)
    ]
