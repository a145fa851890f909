"""The hall's screens in a browser: the TV display (``/display``) for any smart TV or TV box, and
the officer's counter (``/loket``) for a locked-down office PC. Both are a page and a script
served by this server (nothing from the internet), that speak the same API and event stream as
the pygame display and counter, and take their words, colours and keys from the same place
(``common.design``, embedded in the page)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from common.design import design
from server.web.pages import templates

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, **values: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, {"design": design(), **values})
    # The page itself holds no data (the script fetches it): a TV reloading it gets the new
    # script after an upgrade, and no proxy keeps an old one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/display", response_class=HTMLResponse)
async def display_page(request: Request) -> HTMLResponse:
    """The TV display. ``?token=`` (else typed once and remembered), ``?zone=``,
    ``?english=1``, ``?within=SECONDS``, ``?media=0`` to leave the hall's playlist out."""
    return _page(request, "display.html")


@router.get("/loket", response_class=HTMLResponse)
async def counter_page(request: Request) -> HTMLResponse:
    """The officer's counter: log in, pick the counter (or ``?counter=N``), work it by keys."""
    return _page(request, "loket.html")
