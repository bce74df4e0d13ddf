"""Static files of pwa/: content-hashed names, read, minified (our own JS and CSS: comments
and spaces are for the people who read pwa/, not for a phone) and compressed once at start
(brotli at its best quality, gzip for clients without it), served with long immutable
caching. Per-request compression of a 50 KB file costs ~2 ms (DESIGN)."""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from functools import cache, cached_property
from pathlib import Path

import brotli
import msgspec
import rcssmin
import rjsmin

_PACKAGE = Path(__file__).resolve().parent
# A wheel carries pwa/ inside the package (build_hooks.py); the source tree has it at the top.
PWA = _PACKAGE / "pwa" if (_PACKAGE / "pwa").is_dir() else _PACKAGE.parent / "pwa"
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".webmanifest", ".html"}


def minified(file: Path) -> bytes:
    """Our own scripts and stylesheet without comments and spaces; anything else as it is."""
    if file.suffix not in {".js", ".css"} or file.name.endswith(".min.js"):
        return file.read_bytes()
    return minify(file.read_text(), file.suffix).encode()


def minify(source: str, suffix: str) -> str:
    return str(rjsmin.jsmin(source) if suffix == ".js" else rcssmin.cssmin(source))


class Asset(msgspec.Struct, frozen=True):
    url: str
    body: bytes
    gzipped: bytes | None
    brotli: bytes | None
    media_type: str


class Assets:
    def __init__(self, root: Path = PWA / "static") -> None:
        self.by_path: dict[str, Asset] = {}
        self.by_url: dict[str, Asset] = {}
        for file in sorted(root.rglob("*")):
            if not file.is_file():
                continue
            body = minified(file)
            tag = hashlib.sha256(body).hexdigest()[:12]
            relative = file.relative_to(root).as_posix()
            stem, dot, ext = relative.rpartition(".")
            url = f"/static/{stem}.{tag}{dot}{ext}"
            media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            # Litestar adds the charset to text/* itself; said twice costs bytes on each file.
            if media_type.endswith(("javascript", "json")) and not media_type.startswith("text/"):
                media_type += "; charset=utf-8"
            packed = file.suffix in COMPRESSIBLE
            asset = Asset(
                url=url,
                body=body,
                gzipped=gzip.compress(body, 9, mtime=0) if packed else None,
                brotli=brotli.compress(body, quality=11) if packed else None,
                media_type=media_type,
            )
            self.by_path[relative] = asset
            self.by_url[url] = asset
        self.version = hashlib.sha256("".join(sorted(self.by_url)).encode()).hexdigest()[:12]

    def url(self, path: str) -> str:
        return self.by_path[path].url

    def service_worker(self, lang: str) -> bytes:
        """The worker for a language: its bytes differ per language (a last comment line),
        so a browser whose language changed installs it again and re-caches the offline
        page, which the shell fetches in the current language."""
        return self._service_worker + f"\n// offline page: {lang}\n".encode()

    @cached_property
    def _service_worker(self) -> bytes:
        """pwa/sw.js with this build's version and the app shell: the offline page and the
        files it uses (it loads no script), never a person's page. Other static files are
        cached as pages use them."""
        shell = ["/offline", *sorted(self.url(p) for p in ("css/app.css", "icons/icon.svg"))]
        source = (PWA / "sw.js").read_text()
        source = source.replace(
            'const VERSION = "__VERSION__"', f"const VERSION = {json.dumps(self.version)}"
        )
        source = source.replace("const SHELL = __SHELL__", f"const SHELL = {json.dumps(shell)}")
        return minify(source, ".js").encode()

    def manifest(
        self, *, name: str, short_name: str, description: str, lang: str, direction: str
    ) -> bytes:
        return json.dumps(
            {
                "name": name,
                "short_name": short_name,
                "description": description,
                "lang": lang,
                "dir": direction,
                "start_url": "/",
                "scope": "/",
                "id": "/",
                "display": "standalone",
                "background_color": "#ffffff",
                "theme_color": THEME_COLOUR,
                "icons": [
                    {
                        "src": self.url("icons/icon-192.png"),
                        "sizes": "192x192",
                        "type": "image/png",
                    },
                    {
                        "src": self.url("icons/icon-512.png"),
                        "sizes": "512x512",
                        "type": "image/png",
                    },
                    {
                        "src": self.url("icons/icon-maskable-512.png"),
                        "sizes": "512x512",
                        "type": "image/png",
                        "purpose": "maskable",
                    },
                ],
            },
            ensure_ascii=False,
        ).encode()


THEME_COLOUR = "#0e5566"


def built(root: Path = PWA / "static") -> Assets:
    """The static files of this checkout, minified and compressed once per process for as
    long as no file changes (several apps in one process, as the tests make, share them)."""
    files = sorted(f for f in root.rglob("*") if f.is_file())
    return _built(
        root, tuple((f.as_posix(), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    )


@cache
def _built(root: Path, _files: tuple[tuple[str, int, int], ...]) -> Assets:
    return Assets(root)
