"""Typed payloads (moved to :mod:`hookreceiver.core.typed`; this name stays importable)."""

from __future__ import annotations

from hookreceiver.core.typed import adapter_for, bind_model, check_model

__all__ = ["adapter_for", "bind_model", "check_model"]
