"""The entry point servers import: settings from the environment, read once."""

from litestar import Litestar

from backend.app import create_app
from backend.settings import from_env


def app_from_env() -> Litestar:
    return create_app(from_env())
