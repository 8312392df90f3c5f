"""Operations over real HTTP (httpx.ASGITransport): health routes, metrics, tracing, log lines."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.routing import Mount

from hookreceiver import ConfigurationError, HookReceiver, MemoryStore, Settings
from hookreceiver.logs import FIELDS, JsonFormatter
from hookreceiver.metrics import Metrics, metrics_app
from hookreceiver.stores.redis import RedisStore
from hookreceiver.tracing import Tracing, delivery_trace_id
from tests.helpers import SECRET, asgi_client, generic, make_receiver, post, sign

pytestmark = pytest.mark.anyio


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


# -- health ------------------------------------------------------------------------------------


async def test_liveness_and_readiness_answer_on_the_default_paths() -> None:
    receiver, _ = make_receiver()
    async with asgi_client(receiver) as client:
        live = await client.get("/healthz")
        ready = await client.get("/readyz")
        posted = await client.post("/healthz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "store": "ok"})
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"


async def test_readiness_is_503_when_redis_is_unreachable() -> None:
    from tests.helpers import free_port

    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0?namespace=health")
    receiver = HookReceiver(store=store, settings=Settings(), run_worker=False)
    receiver.endpoint("/orders", generic())
    async with asgi_client(receiver) as client:
        live = await client.get("/healthz")
        ready = await client.get("/readyz")
    await store.close()
    assert live.status_code == 200
    assert ready.status_code == 503 and ready.json()["store"] == "unreachable"


async def test_health_paths_are_configurable_mounted_and_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(health_path="/live", ready_path="")
    receiver = HookReceiver(store=MemoryStore(), settings=settings, run_worker=False)
    receiver.endpoint("/orders", generic())
    app = Starlette(routes=[Mount("/webhooks", receiver)])
    caplog.set_level(logging.DEBUG, logger="hookreceiver")
    async with asgi_client(app) as client:
        live = await client.get("/webhooks/live")
        old = await client.get("/webhooks/healthz")
        ready = await client.get("/webhooks/readyz")
    assert live.status_code == 200
    assert old.status_code == 404 and ready.status_code == 404  # moved, and readiness switched off
    assert not any("/live" in record.getMessage() for record in caplog.records)


def test_an_endpoint_cannot_take_a_health_path() -> None:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings())
    with pytest.raises(ConfigurationError, match="health route"):
        receiver.endpoint("/healthz", generic())


def test_settings_refuse_a_health_path_without_a_slash() -> None:
    with pytest.raises(ValueError, match="starts with '/'"):
        Settings(health_path="healthz")


# -- metrics -----------------------------------------------------------------------------------


async def test_metrics_count_deliveries_duplicates_rejections_and_handler_outcomes() -> None:
    registry = CollectorRegistry()
    receiver, endpoint = make_receiver()
    metrics = Metrics(registry).attach(receiver)
    runs: list[str] = []

    @endpoint.on("order.*")
    def handle(delivery: object) -> None:
        runs.append("ran")
        if len(runs) == 1:
            raise RuntimeError("first run fails")

    async with asgi_client(receiver) as client:
        await post(client, sign({"type": "order.created"}, delivery_id="m-1"))
        await post(client, sign({"type": "order.created"}, delivery_id="m-1"))
        bad = sign({"type": "order.created"}, delivery_id="m-2")
        await post(client, bad, headers={"x-signature": "00" * 32})
        await client.get("/wp-login.php")
    [first] = await receiver.worker.run_once()
    assert first.status == "retry" and first.duration is not None

    labels = {"endpoint": "/orders", "provider": "generic"}
    assert sample(registry, "hookreceiver_deliveries_total", **labels, outcome="accepted") == 1
    assert sample(registry, "hookreceiver_deliveries_total", **labels, outcome="duplicate") == 1
    assert sample(registry, "hookreceiver_duplicates_total", endpoint="/orders") == 1
    assert sample(registry, "hookreceiver_rejections_total", endpoint="/orders", reason="bad_signature") == 1
    assert sample(registry, "hookreceiver_rejections_total", endpoint="-", reason="unknown_endpoint") == 1
    assert sample(registry, "hookreceiver_ack_seconds_count", endpoint="/orders") == 2
    assert sample(registry, "hookreceiver_handler_failures_total", endpoint="/orders") == 1
    assert sample(registry, "hookreceiver_retries_total", endpoint="/orders") == 1
    assert sample(registry, "hookreceiver_handler_seconds_count", endpoint="/orders", outcome="retry") == 1
    metrics.observe_inbox(3, 12.5)
    assert sample(registry, "hookreceiver_inbox_depth") == 3
    assert sample(registry, "hookreceiver_inbox_oldest_age_seconds") == 12.5
    assert SECRET not in generate_latest(registry).decode()


async def test_dead_letters_are_counted() -> None:
    registry = CollectorRegistry()
    receiver, endpoint = make_receiver(max_attempts=1)
    Metrics(registry).attach(receiver)

    @endpoint.on("*")
    def fail(delivery: object) -> None:
        raise RuntimeError("always")

    async with asgi_client(receiver) as client:
        await post(client, sign({"type": "order.created"}, delivery_id="dead-1"))
    [outcome] = await receiver.worker.run_once()
    assert outcome.status == "dead"
    assert sample(registry, "hookreceiver_dead_letters_total", endpoint="/orders") == 1


async def test_metrics_app_serves_the_text_format_beside_the_receiver() -> None:
    registry = CollectorRegistry()
    receiver, _ = make_receiver()
    Metrics(registry).attach(receiver)
    app = Starlette(routes=[Mount("/metrics", metrics_app(registry)), Mount("/", receiver)])
    async with asgi_client(app) as client:
        await post(client, sign({"type": "order.created"}, delivery_id="scrape-1"))
        response = await client.get("/metrics/")
    assert response.status_code == 200
    assert (
        'hookreceiver_deliveries_total{endpoint="/orders",outcome="unrouted",provider="generic"} 1.0'
        in response.text
    )


def test_metrics_app_collects_every_process_in_multiprocess_mode(tmp_path: object) -> None:
    """Two processes write to PROMETHEUS_MULTIPROC_DIR; the app sums their counters."""
    script = textwrap.dedent("""
        import asyncio, sys
        from hookreceiver.metrics import Metrics
        from tests.helpers import delivery
        metrics = Metrics()
        metrics.admitted(delivery("p-" + sys.argv[1]), "accepted", 0.01)
    """)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": ":".join(sys.path)}
    for n in ("1", "2"):
        subprocess.run([sys.executable, "-c", script, n], check=True, env=env, timeout=60)
    collect = textwrap.dedent("""
        import asyncio, httpx
        from hookreceiver.metrics import metrics_app
        async def main():
            transport = httpx.ASGITransport(app=metrics_app())
            async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
                print((await client.get("/")).text)
        asyncio.run(main())
    """)
    out = subprocess.run(
        [sys.executable, "-c", collect], check=True, env=env, timeout=60, capture_output=True, text=True
    ).stdout
    line = 'hookreceiver_deliveries_total{endpoint="/orders",outcome="accepted",provider="generic"} 2.0'
    assert line in out


# -- tracing -----------------------------------------------------------------------------------


async def test_receive_and_handler_spans_share_the_delivery_trace() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    receiver, endpoint = make_receiver()
    Tracing(provider).attach(receiver)

    @endpoint.on("*")
    def handle(delivery: object) -> None: ...

    async with asgi_client(receiver) as client:
        await post(client, sign({"type": "order.created"}, delivery_id="t-1"))
        await post(client, sign({"type": "order.created"}, delivery_id="t-2"))
    await receiver.worker.run_once()
    spans = exporter.get_finished_spans()
    by_id: dict[str, list[str]] = {}
    for span in spans:
        assert span.attributes is not None
        by_id.setdefault(str(span.attributes["hookreceiver.delivery_id"]), []).append(span.name)
    assert sorted(by_id["t-1"]) == ["hookreceiver.handle", "hookreceiver.receive"]
    t1 = [span for span in spans if span.attributes and span.attributes["hookreceiver.delivery_id"] == "t-1"]
    trace_id, parent = delivery_trace_id("/orders:t-1")
    assert {span.context.trace_id for span in t1} == {trace_id}
    assert {span.parent.span_id for span in t1 if span.parent} == {parent}
    t2 = [span for span in spans if span.attributes and span.attributes["hookreceiver.delivery_id"] == "t-2"]
    assert t2[0].context.trace_id != trace_id  # another delivery, another trace
    for span in spans:
        assert SECRET not in json.dumps(dict(span.attributes or {}))


# -- logs --------------------------------------------------------------------------------------


async def test_one_structured_line_per_outcome_with_the_mount_prefix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver, _ = make_receiver()
    app = Starlette(routes=[Mount("/webhooks", receiver)])
    caplog.set_level(logging.DEBUG, logger="hookreceiver")
    request = sign({"type": "order.created"}, delivery_id="log-1", url="http://hooks.test/webhooks/orders")
    async with asgi_client(app) as client:
        await post(client, request)
        await post(client, request, headers={"x-signature": "00" * 32})
        await client.get("/webhooks/.env")
    lines = [r for r in caplog.records if getattr(r, FIELDS, None)]
    accepted, rejected, unknown = (getattr(r, FIELDS) for r in lines)  # one line per outcome
    assert accepted["event"] == "unrouted" and accepted["endpoint"] == "/webhooks/orders"
    assert accepted["provider"] == "generic" and accepted["topic"] == "order.created"
    assert accepted["delivery_id"] == "log-1" and accepted["status"] == 200
    assert accepted["secret_index"] == 0 and accepted["duration_ms"] >= 0
    assert rejected["reason"] == "bad_signature" and rejected["endpoint"] == "/webhooks/orders"
    assert rejected["status"] == 401 and rejected["id_verified"] is False
    assert lines[1].levelno == logging.WARNING
    assert unknown["reason"] == "unknown_endpoint" and lines[2].levelno == logging.INFO
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_json_formatter_writes_one_object_with_the_fields() -> None:
    record = logging.LogRecord("hookreceiver", logging.INFO, __file__, 1, "accepted %s", ("x",), None)
    setattr(record, FIELDS, {"event": "accepted", "endpoint": "/orders", "reason": None})
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert "\n" not in line
    assert data["message"] == "accepted x" and data["event"] == "accepted"
    assert data["endpoint"] == "/orders" and "reason" not in data and data["level"] == "INFO"


# -- optional extras ---------------------------------------------------------------------------


def test_the_package_works_without_the_optional_extras() -> None:
    """With prometheus_client and opentelemetry unimportable, hookreceiver imports and receives;
    Metrics() and Tracing() say which extra to install."""
    script = textwrap.dedent("""
        import sys
        sys.modules["prometheus_client"] = None
        sys.modules["opentelemetry"] = None
        import hookreceiver, hookreceiver.asgi, hookreceiver.metrics, hookreceiver.tracing
        from hookreceiver import ConfigurationError
        for make, extra in ((hookreceiver.metrics.Metrics, "metrics"),
                            (hookreceiver.tracing.Tracing, "tracing")):
            try:
                make()
            except ConfigurationError as exc:
                assert f"hookreceiver[{extra}]" in str(exc), exc
            else:
                raise AssertionError("no error")
        print("ok")
    """)
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": ":".join(sys.path)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
