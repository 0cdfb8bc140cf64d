"""Streaming a file to the browser: the one place for ETag revalidation (304) and range requests."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import FileResponse

from nora.archive.services.access import Access

#: the browser may keep a copy but asks each time whether it is still current (answered by the ETag)
CACHE_CONTROL = "private, max-age=0, must-revalidate"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag``: ``*``, or one of its comma-separated tags
    (compared weakly, as RFC 9110 says for this header: ``W/"x"`` matches ``"x"``)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag.removeprefix("W/") for tag in if_none_match.split(","))


def require_download_unless_viewing(request: Request, access: Access, download: bool = False) -> None:
    """Saving a file needs the ``download`` right; viewing it does not.

    An attachment (``download``) is saving. So is a browser navigation to the bytes (the address bar, a
    link, ``<a download>``: ``Sec-Fetch-Mode: navigate``): the page's viewer fetches them instead
    (``Sec-Fetch-Mode: cors``/``same-origin``), and scripts send no ``Sec-Fetch-*`` at all.
    """
    if download or request.headers.get("sec-fetch-mode") == "navigate":
        access.require_download()


def stream_file(request: Request, path: Path, etag: str, name: str, *, download: bool = False) -> Response:
    """``path``'s bytes as ``name`` (inline, or as an attachment with ``download``), ranges allowed;
    304 Not Modified without a body when the client's copy carries ``etag``."""
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(
        path,
        headers=headers,
        filename=name,
        content_disposition_type="attachment" if download else "inline",
        media_type="application/octet-stream",
    )
