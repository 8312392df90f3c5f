"""WeChat Official Account messages: the XML body, decoded to a dict, validated into one model.

Every value arrives as text: ``CreateTime`` and ``MsgId`` become ints, coordinates floats, and
empty elements count as absent. Which optional fields are set depends on ``MsgType``: ``text``
(Content), ``image`` (PicUrl, MediaId), ``voice`` (MediaId, Format, Recognition), ``location``
(Location_X, Location_Y, Scale, Label), ``link`` (Title, Description, Url) or ``event`` (Event,
EventKey, and Ticket or Latitude/Longitude/Precision for some events).
"""

from __future__ import annotations

from hookreceiver.models.base import FormEnvelope

__all__ = ["WeChatMessage"]


class WeChatMessage(FormEnvelope):
    """One message or event pushed to an Official Account (field names as in the XML)."""

    ToUserName: str
    FromUserName: str
    CreateTime: int
    MsgType: str
    MsgId: int | None = None
    Content: str | None = None
    PicUrl: str | None = None
    MediaId: str | None = None
    Format: str | None = None
    Recognition: str | None = None
    Location_X: float | None = None
    Location_Y: float | None = None
    Scale: int | None = None
    Label: str | None = None
    Title: str | None = None
    Description: str | None = None
    Url: str | None = None
    Event: str | None = None
    EventKey: str | None = None
    Ticket: str | None = None
    Latitude: float | None = None
    Longitude: float | None = None
    Precision: float | None = None
