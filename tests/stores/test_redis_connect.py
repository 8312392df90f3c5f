"""Store URLs and connection plans (stores/redis/connect.py): schemes, our options, redis-py's, refusals.

Nothing here talks to Redis: building a RedisStore from a URL only plans its connections.
"""

from __future__ import annotations

import pytest

from hookreceiver import ConfigurationError
from hookreceiver.stores.redis import RedisStore
from hookreceiver.stores.redis.connect import COMMAND_TIMEOUT, MAX_BLOCK, parse_url, plan


@pytest.mark.parametrize(
    ("url", "cluster", "options"),
    [
        ("redis://127.0.0.1:6379/0", False, ("default", 60.0, 100_000)),
        (
            "rediss://:pw@cache.example:6380/2?namespace=shop&ssl_cert_reqs=required",
            False,
            ("shop", 60.0, 100_000),
        ),
        ("redis+cluster://node-1:7000?visibility_timeout=2.5&max_retained=10", True, ("default", 2.5, 10)),
        ("rediss+cluster://:pw@node-1:7000", True, ("default", 60.0, 100_000)),
        ("unix:///run/redis.sock?namespace=a.b-c", False, ("a.b-c", 60.0, 100_000)),
    ],
)
def test_store_urls(url: str, cluster: bool, options: tuple[str, float, int]) -> None:

    plain, is_cluster, parsed = parse_url(url, "default", 60.0, 100_000)
    assert is_cluster is cluster and "+cluster" not in plain
    assert (parsed["namespace"], parsed["visibility_timeout"], parsed["max_retained"]) == options
    assert "namespace=" not in plain and "visibility_timeout" not in plain


@pytest.mark.parametrize(
    "url",
    [
        "http://:hunter2@127.0.0.1:6379",
        "redis://:hunter2@h:1?visibility_timeout=soon",
        "redis://:hunter2@h:1?namespace={tag}",
    ],
)
def test_bad_store_urls_are_configuration_errors_without_the_password(url: str) -> None:

    with pytest.raises(ConfigurationError) as caught:
        RedisStore.from_url(url)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        ("redis://:hunter2@127.0.0.1:6379/0?namepsace=shop", "namepsace"),
        ("redis://127.0.0.1:6379/0?namespace=shop&decode_responses=true", "decode_responses"),
        ("redis+cluster://node-1:7000?visibility-timeout=3", "visibility-timeout"),
        ("redis://127.0.0.1:6379/0?ssl_cert_reqs=required", "ssl_cert_reqs"),  # TLS option, plain URL
    ],
)
def test_unknown_url_query_keys_are_refused_when_the_store_is_built(url: str, unknown: str) -> None:

    with pytest.raises(ConfigurationError) as caught:
        RedisStore.from_url(url)
    message = str(caught.value)
    assert repr(unknown) in message and "allowed: namespace, visibility_timeout" in message
    assert "hunter2" not in message and "shop" not in message


@pytest.mark.parametrize("tls", [False, True])
def test_every_allowed_url_key_is_a_store_option_or_a_redis_py_keyword(tls: bool) -> None:
    import inspect

    import redis.asyncio.cluster
    import redis.asyncio.connection as connection

    from hookreceiver.stores.redis.connect import allowed_query_keys

    classes = (
        connection.AbstractConnection,
        connection.Connection,
        connection.BlockingConnectionPool,
        connection.SSLConnection if tls else connection.UnixDomainSocketConnection,
    )
    plain = set().union(*(inspect.signature(cls.__init__).parameters for cls in classes))
    cluster = set(inspect.signature(redis.asyncio.cluster.RedisCluster.__init__).parameters)
    ours = set(inspect.signature(RedisStore.__init__).parameters) | {"timeout"}
    for key in allowed_query_keys(tls=tls):
        assert key in ours or (key in plain and key in cluster), key


def test_keyword_options_win_over_the_url_query() -> None:
    how = plan(
        "redis://h:1/0?namespace=from-url&visibility_timeout=5&timeout=2",
        namespace="default",
        visibility_timeout=60.0,
        max_retained=100_000,
        options={"namespace": "from-code"},
    )
    assert how.store_options["namespace"] == "from-code"
    assert how.store_options["visibility_timeout"] == 5.0 and how.timeout == 2.0
    assert "timeout" not in how.store_options and "namespace" not in how.url


def test_the_blocking_client_waits_for_the_longest_block_plus_the_command_timeout() -> None:
    how = plan("redis://h:1/0", namespace="d", visibility_timeout=60.0, max_retained=1, options={})
    assert how.timeout == COMMAND_TIMEOUT
    assert how.client_options(blocking=False)["socket_timeout"] == COMMAND_TIMEOUT
    assert how.client_options(blocking=True)["socket_timeout"] == COMMAND_TIMEOUT + MAX_BLOCK
    assert (
        how.pool_options(blocking=True)["max_connections"]
        < how.pool_options(blocking=False)["max_connections"]
    )


@pytest.mark.parametrize("timeout", ["0", "-1", "nan"])
def test_a_timeout_that_is_not_positive_is_refused(timeout: str) -> None:
    with pytest.raises(ConfigurationError):
        plan(
            f"redis://:hunter2@h:1/0?timeout={timeout}",
            namespace="d",
            visibility_timeout=60.0,
            max_retained=1,
            options={},
        )


def test_an_unsupported_scheme_names_the_scheme_not_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_url("memcache://:hunter2@h:1", "d", 60.0, 1)
    assert "'memcache'" in str(caught.value) and "hunter2" not in str(caught.value)
