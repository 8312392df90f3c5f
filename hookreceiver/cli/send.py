"""``hookreceiver send``: sign a delivery as a provider would and POST it to a URL."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hookreceiver.cli import at_least, command, load_receiver
from hookreceiver.core.delivery import HttpRequest, endpoint_path
from hookreceiver.exceptions import ConfigurationError
from hookreceiver.providers.base import Provider

__all__ = ["add_parsers", "post"]


def add_parsers(sub: Any) -> None:
    """Add ``send`` to the ``hookreceiver`` parser."""
    from hookreceiver.providers import PROVIDERS

    p = sub.add_parser(
        "send",
        help="post a correctly signed sample delivery",
        description="Sign a delivery as a provider would and POST it to URL.",
    )
    p.add_argument("url", help="the endpoint's URL, e.g. http://127.0.0.1:8000/orders")
    p.add_argument(
        "--topic",
        required=True,
        help="the event type to send, e.g. order.created; without --data a shipped sample "
        "exists only for some topics of each provider (exit 2 names them)",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--app", help="MODULE:ATTR: sign as the endpoint at the URL's path expects")
    who.add_argument(
        "--provider",
        metavar="NAME",
        help="a provider name, signed with --secret: " + ", ".join(sorted(PROVIDERS)),
    )
    p.add_argument("--secret", help="the secret, with --provider")
    p.add_argument("--secret-index", type=at_least(0), default=0, help="which configured secret to use")
    p.add_argument(
        "--id",
        help="the delivery id (default: a new one in the provider's style, so "
        "each send is a new delivery; --id with the same value sends a duplicate)",
    )
    p.add_argument(
        "--data",
        help="JSON payload: a file, inline JSON, or - for stdin "
        "(default: the sample shipped for this provider and topic)",
    )
    generic = p.add_argument_group(
        "--provider generic",
        "how the receiving Generic endpoint is configured (its signing template and headers)",
    )
    generic.add_argument(
        "--signed-content",
        metavar="TEMPLATE",
        help="what is signed, e.g. '{id}.{timestamp}.{body}' (the recommended template; "
        "default: Generic's, '{body}')",
    )
    generic.add_argument(
        "--signature-header", metavar="NAME", help="the signature header (default: x-signature)"
    )
    generic.add_argument(
        "--timestamp-header",
        metavar="NAME",
        help="the timestamp header (default: x-timestamp when the template signs {timestamp})",
    )
    generic.add_argument(
        "--id-source",
        metavar="SOURCE",
        help="where the delivery id goes, e.g. header:x-request-id (the default when the "
        "template signs {id})",
    )


# How inline JSON starts; anything else given to --data is taken for a file name.
_JSON_START = tuple('{["-0123456789') + ("true", "false", "null")


def _payload(data: str | None) -> Any:
    if data is None:
        return {}
    if data == "-":
        return json.load(sys.stdin)
    try:
        is_file = Path(data).is_file()
    except OSError:  # inline JSON longer than a file name may be
        is_file = False
    if not is_file and not data.lstrip().startswith(_JSON_START):
        raise ConfigurationError(f"--data: no such file: {data!r} (inline JSON starts with {{ or [)")
    try:
        if is_file:
            return json.loads(Path(data).read_bytes())
        return json.loads(data)
    except ValueError as exc:
        where = f" in {data}" if is_file else ""
        raise ConfigurationError(f"--data is not valid JSON{where}: {exc}") from None


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"URL {url!r} needs a scheme and a host, e.g. http://127.0.0.1:8000/orders")


_GENERIC_OPTIONS = ("signed_content", "signature_header", "timestamp_header", "id_source")


def _generic_options(args: argparse.Namespace) -> dict[str, Any]:
    """Generic's constructor options from ``--signed-content`` and its companions."""
    given = {name: getattr(args, name) for name in _GENERIC_OPTIONS if getattr(args, name)}
    if given and args.provider != "generic":
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ConfigurationError(f"{flags}: only with --provider generic (--app signs as its endpoint)")
    template = given.get("signed_content", "")
    options: dict[str, Any] = {}
    if template:
        options["signed_content"] = template
    if "signature_header" in given:
        options["signature_header"] = given["signature_header"]
    if "timestamp_header" in given or "{timestamp}" in template:
        options["timestamp_header"] = given.get("timestamp_header", "x-timestamp")
    if "id_source" in given or "{id}" in template:
        options["delivery_id"] = given.get("id_source", "header:x-request-id")
    return options


def _signer_for(args: argparse.Namespace) -> Provider:
    if args.app:
        receiver = load_receiver(args.app)
        url_path = endpoint_path(urlsplit(args.url).path)
        for path, endpoint in receiver.endpoints.items():
            # The endpoint's path, or ending with it: a proxy in front may add a prefix.
            if url_path == path or (path != "/" and url_path.endswith(path)):
                return endpoint.provider
        raise ConfigurationError(f"no endpoint of {args.app} matches {url_path!r}")
    from hookreceiver.providers import PROVIDERS

    if args.provider not in PROVIDERS:
        raise ConfigurationError(f"unknown provider {args.provider!r}; known: {', '.join(sorted(PROVIDERS))}")
    if not args.secret:
        raise ConfigurationError("--secret is required with --provider")
    options = _generic_options(args)
    return PROVIDERS[args.provider](secret=args.secret, **options)


def _send_payload(signer: Provider, args: argparse.Namespace) -> Any:
    """``--data``; else our sample for the provider and topic; else a usage error naming the samples."""
    if args.data is not None:
        return _payload(args.data)
    from hookreceiver.testing.payloads import sample

    try:
        return sample(signer.name, args.topic)
    except LookupError as exc:
        raise ConfigurationError(f"{exc}; pass --data with a payload for this topic") from None


def post(request: HttpRequest, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send a signed request over HTTP; returns status and body (errors included)."""
    outgoing = urllib.request.Request(
        request.url,
        data=request.body if request.method != "GET" else None,
        headers=dict(request.headers),
        method=request.method,
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@command("send")
def send(args: argparse.Namespace) -> int:
    from hookreceiver.testing.signing import build_request

    _check_url(args.url)
    _generic_options(args)  # refuses Generic's options with --app or another provider
    signer = _signer_for(args)
    try:
        request = build_request(
            signer,
            _send_payload(signer, args),
            topic=args.topic,
            delivery_id=args.id,
            fresh_id=args.id is None,
            timestamp=time.time(),
            url=args.url,
            secret_index=args.secret_index,
        )
    except NotImplementedError as exc:  # a provider without sign()
        raise ConfigurationError(str(exc)) from None
    try:
        status, body = post(request)
    except OSError as exc:  # connection refused, DNS, timeout (URLError is an OSError)
        print(f"hookreceiver: cannot reach {args.url}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1
    print(f"{status} {body.decode(errors='replace')}")
    return 0 if 200 <= status < 300 else 1
