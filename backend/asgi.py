"""The entry point servers import: settings from the environment, read once; the log to
stdout; and a worker that stops with the server that started it."""

import ctypes
import gc
import logging
import signal
import sys

from litestar import Litestar

from backend.app import create_app
from backend.settings import from_env

PR_SET_PDEATHSIG = 1


def app_from_env() -> Litestar:
    # One line per request: skip what the format does not show (logging HOWTO, Optimization).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    _stop_with_parent()
    app = create_app(from_env())
    # What start-up built lives as long as the process: out of the collector's way, so a
    # full collection under load does not walk it again and again (gc.freeze docs).
    gc.collect()
    gc.freeze()
    return app


def _stop_with_parent() -> None:
    """granian runs the app in a worker process; if only the main process is killed, the
    worker would go on serving the port. On Linux the kernel tells it to stop."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
