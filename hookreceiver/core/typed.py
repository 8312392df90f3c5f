"""Typed payloads: validate a delivery's payload with a pydantic model just before a handler runs.

There is one way to ask for it: name the model where the handler is registered, and annotate the
handler's parameter with the same model so type checkers know what ``payload`` holds::

    @endpoint.on("invoice.paid", model=StripeEvent)
    async def paid(delivery: Delivery[StripeEvent]) -> None:
        invoice_id = delivery.payload.data.object["id"]

``model=`` does the work; the annotation is checked against it when the handler is registered
(a ``Delivery[X]`` annotation without ``model=X`` is a ``ConfigurationError``, since the handler
would silently get a plain dict). Validation happens in the worker, after the sender got its 2xx:
a payload that does not fit is a handler failure (retried, then dead-lettered with pydantic's
error text), never a 4xx, because the sender did nothing wrong. JSON, form and XML payloads all
decode to plain dicts first, so they validate into the same models.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import replace
from typing import Any, TypeVar, cast

from pydantic import PydanticSchemaGenerationError, TypeAdapter, ValidationError

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import ConfigurationError, ModelValidationError

__all__ = ["adapter_for", "bind_model", "check_model"]

M = TypeVar("M")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter_for(model: Any) -> TypeAdapter[Any]:
    """The (cached) pydantic adapter for ``model``: a BaseModel, dataclass, TypedDict or type."""
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        try:
            adapter = TypeAdapter(model)
        except (PydanticSchemaGenerationError, TypeError) as exc:
            raise ConfigurationError(f"model={model!r} cannot be validated by pydantic: {exc}") from None
        _ADAPTERS[model] = adapter
    return adapter


def _annotated_model(handler: Any) -> tuple[bool, Any]:
    """``(True, X)`` if the handler's first parameter is annotated ``Delivery[X]``, else ``(False, None)``.

    Annotations that cannot be resolved (forward references to local names) are not checked.
    """
    try:
        hints = typing.get_type_hints(handler)
    except Exception:  # unresolvable names, odd callables: nothing to check
        return False, None
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return False, None
    if not parameters or parameters[0].name not in hints:
        return False, None
    hint = hints[parameters[0].name]
    if typing.get_origin(hint) is Delivery:
        return True, typing.get_args(hint)[0]
    return False, None


def check_model(handler: Any, model: Any | None) -> None:
    """Check a registration: the model is validatable, and agrees with a ``Delivery[X]`` annotation.

    Raises ``ConfigurationError`` at startup rather than failing every delivery later.
    """
    if model is not None:
        adapter_for(model)
    annotated, declared = _annotated_model(handler)
    if not annotated or declared is Any:
        return
    name = getattr(handler, "__qualname__", repr(handler))
    if model is None:
        raise ConfigurationError(
            f"handler {name} is annotated Delivery[{_name(declared)}] but registered without "
            f"model=: add model={_name(declared)} to on(...) so the payload is validated"
        )
    if declared != model:
        raise ConfigurationError(
            f"handler {name} is annotated Delivery[{_name(declared)}] but registered with "
            f"model={_name(model)}"
        )


def _name(value: Any) -> str:
    return str(getattr(value, "__name__", value))


_USER_ERRORS = frozenset({"value_error", "assertion_error"})  # messages a user's validator wrote


def bind_model(delivery: Delivery[Any], model: type[M]) -> Delivery[M]:
    """The delivery with ``payload`` validated into ``model``.

    A failure raises :class:`ModelValidationError` naming the delivery, the model and each bad
    field's location and error type, but no payload value (pydantic's own message quotes the
    input, and this text lands in logs and dead letters). In the worker it is a handler failure:
    retried, then dead-lettered with its text.
    """
    try:
        payload = adapter_for(model).validate_python(delivery.payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(payload)'}: "
            # pydantic's own messages name the rule, not the value; a custom validator's may not
            + (error["type"] if error["type"] in _USER_ERRORS else f"{error['msg']} [{error['type']}]")
            for error in exc.errors(include_url=False, include_input=False, include_context=False)[:20]
        )
        raise ModelValidationError(
            f"the payload of {delivery.provider} delivery {delivery.delivery_id} (topic "
            f"{delivery.topic}) does not fit {_name(model)}: {exc.error_count()} error(s): {problems}"
        ) from None
    return cast("Delivery[M]", replace(delivery, payload=payload))
