"""The app factory."""

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.staticfiles import StaticFiles

from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.web.context import WebContext
from safeenough.web.errors import install_error_handlers
from safeenough.web.limits import RequestSizeLimitMiddleware
from safeenough.web.rendering import STATIC_DIR, build_templates
from safeenough.web.routes import (
    access,
    account,
    admin,
    caseload,
    cases,
    checkin,
    downloads,
    formulation,
    login,
    monitoring,
    sessions,
)
from safeenough.web.security import SecurityHeadersMiddleware

NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(practice: Practice, settings: Settings) -> FastAPI:
    """A web app serving `practice`. It keeps no state of its own, so run as many workers as you like."""
    app = FastAPI(
        title="safeenough",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        swagger_ui_oauth2_redirect_url=None,
        # Session content is health data and never leaves the machine: FastAPI's built-in OpenTelemetry
        # stays off, whatever OTEL_* or FASTAPI_OTEL_AUTO_CONFIGURE variables the environment holds.
        telemetry=NO_TELEMETRY,
    )
    templates = build_templates()
    monitoring.install_template_helpers(templates)
    app.state.web = WebContext(practice=practice, settings=settings, templates=templates)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    routers = (login, account, caseload, cases, access, admin, monitoring, checkin, formulation, downloads)
    for module in routers:
        app.include_router(module.router)
    sessions.register(app)
    install_error_handlers(app)
    app.add_middleware(
        RequestSizeLimitMiddleware,
        upload_limit=sessions.upload_limit,
        upload_drain_limit=sessions.upload_drain_limit,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
