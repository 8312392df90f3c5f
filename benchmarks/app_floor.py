"""The floor: a bare Starlette route that reads the body and answers 200 (nothing verified)."""

from __future__ import annotations

from _payload import PATH
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def receive(request: Request) -> Response:
    await request.body()
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(routes=[Route(PATH, receive, methods=["POST"])])
