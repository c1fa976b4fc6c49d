"""What every route needs: the facade, the settings and the templates, kept on `app.state.web`."""

from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates

from safeenough.practice import Practice
from safeenough.settings import Settings


@dataclass(frozen=True, slots=True)
class WebContext:
    practice: Practice
    settings: Settings
    templates: Jinja2Templates


def web_context(request: Request) -> WebContext:
    context = request.app.state.web
    assert isinstance(context, WebContext)
    return context
