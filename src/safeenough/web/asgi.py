"""ASGI entry point for uvicorn's factory mode, so several worker processes can each build the app."""

from fastapi import FastAPI

from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.web import create_app


def create_app_from_environment() -> FastAPI:
    settings = Settings()
    return create_app(Practice.open(settings), settings)
