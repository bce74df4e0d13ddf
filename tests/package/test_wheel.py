"""The app as a built wheel: `pip wheel` from a copy of the source, installed into a fresh
virtual environment, migrated and served from a directory outside the checkout, so nothing
can come from the source tree. The installed package carries pwa/, the compiled catalogues
and the templates itself. Slow (~30 s: the dependencies come from pip's cache or index)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from backend.assets import minified
from tests.support import free_port, stop_server

# Building and installing the wheel takes half a minute: started first (-n auto).
pytestmark = pytest.mark.long

REPO = Path(__file__).resolve().parents[2]
NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
    "test-results", "tests", "bench",
)  # fmt: skip
STATIC = re.compile(r'"(/static/(?P<stem>[^"]+)\.(?P<tag>[0-9a-f]{12})\.(?P<ext>\w+))"')


@dataclass
class Installed:
    wheel: Path
    venv: Path
    home: Path  # the working directory: no checkout in sight
    env: dict[str, str]

    def run(self, *args: str) -> str:
        result = subprocess.run(
            args,
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout


def pip(python: Path | str, *args: str | Path) -> None:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    result = subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"pip {args[0]} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    source, wheels, venv, home = tmp / "source", tmp / "wheels", tmp / "venv", tmp / "home"
    shutil.copytree(REPO, source, ignore=NOT_SHIPPED)  # what a clone has, no build leftovers
    pip(sys.executable, "wheel", "--no-deps", "--wheel-dir", wheels, source)
    (wheel,) = wheels.glob("iup-*.whl")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    pip(venv / "bin" / "python", "install", wheel)
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IUP_", "PYTHON"))}
    return Installed(wheel=wheel, venv=venv, home=home, env=env)


def test_the_wheel_carries_the_pwa_the_compiled_catalogues_and_the_templates(
    installed: Installed,
) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    shipped = {
        f"backend/pwa/{p.relative_to(REPO / 'pwa').as_posix()}"
        for p in (REPO / "pwa").rglob("*")
        if p.is_file()
    }
    assert shipped and shipped <= names
    templates = {
        p.relative_to(REPO).as_posix() for p in (REPO / "backend" / "templates").rglob("*.html")
    }
    assert templates and templates <= names
    for lang in ("sv", "en"):
        assert f"backend/locale/{lang}/LC_MESSAGES/messages.mo" in names
    assert not any(name.endswith(".po") for name in names), "compiled, not read at run time"


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[str]:
    iup = str(installed.venv / "bin" / "iup")
    port = free_port()
    installed.env["IUP_ORIGIN"] = f"http://localhost:{port}"
    installed.run(iup, "db", "upgrade")
    log = (installed.home / "server.log").open("wb")
    process = subprocess.Popen(
        [iup, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=installed.home,
        env=installed.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/healthz") as r:
                if r.status == 200:
                    break
            time.sleep(0.1)
        else:
            pytest.fail(f"iup serve did not start:\n{(installed.home / 'server.log').read_text()}")
        yield url
    finally:
        stop_server(process)
        log.close()


def get(url: str, language: str = "sv") -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, url
        return response.read(), response.headers["Content-Type"]


def test_the_app_is_imported_from_the_virtual_environment(installed: Installed) -> None:
    where = installed.run(
        str(installed.venv / "bin" / "python"),
        "-c",
        "import backend.assets, backend.i18n, backend.settings as s; "
        "print(backend.assets.PWA, backend.i18n.COMPILED, s.ROOT, sep='\\n')",
    ).splitlines()
    site = installed.venv.resolve()
    assert Path(where[0]).is_relative_to(site) and Path(where[1]).is_relative_to(site)
    assert Path(where[2]) == installed.home.resolve(), "var/ in the working directory"


def test_the_installed_app_serves_pages_in_swedish_and_its_static_files(
    installed: Installed, served: str
) -> None:
    assert (installed.home / "var" / "iup.db").is_file(), "`iup db upgrade` made var/iup.db here"
    with (REPO / "i18n" / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        sign_in = read_po(po, locale="sv")["Sign in"].string
    assert sign_in and sign_in != "Sign in"
    swedish, media_type = get(f"{served}/login")
    assert media_type.startswith("text/html")
    assert sign_in in swedish.decode() and 'lang="sv"' in swedish.decode()
    english, _ = get(f"{served}/login", "en")
    assert "Sign in" in english.decode() and sign_in not in english.decode()

    assets = STATIC.findall(swedish.decode())
    assert any(ext == "css" for _url, _stem, _tag, ext in assets), "the page links its stylesheet"
    for url, stem, _tag, ext in assets:
        body, _ = get(served + url)
        assert body == minified(REPO / "pwa" / "static" / f"{stem}.{ext}"), url

    worker, media_type = get(f"{served}/sw.js")
    assert "javascript" in media_type
    assert re.search(rb'const VERSION="[0-9a-f]{12}"', worker), "this build's version"
    assert re.search(rb"/static/css/app\.[0-9a-f]{12}\.css", worker), "the shell is listed"
