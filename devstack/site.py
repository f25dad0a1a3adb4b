"""The admin site of the local stack: admin_site/dist served by a thread of the runner, with a
/config.js that points the site at this stack's API."""

from __future__ import annotations

import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from devstack.layout import ROOT

PLACEHOLDER = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>Revisit</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Revisit 管理后台尚未构建</h1><p>The admin site is not built yet: run <code>make site</code>
(or <code>make run</code>, which builds it) and reload this page.</p>
<p>API: <a href="{api}/openapi.json">{api}</a></p></body></html>"""


def site_server(dist: Path, api_url: str, port: int) -> ThreadingHTTPServer:
    """Serve admin_site/dist with this stack's config.js (so two stacks on one checkout never mix)."""
    config_js = f"window.REVISIT_CONFIG = {json.dumps({'apiBase': api_url})};\n".encode()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(dist), **kwargs)

        def _send(self, body: bytes, content_type: str, head: bool = False) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _route(self, head: bool) -> bool:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path.endswith("/config.js"):
                self._send(config_js, "application/javascript; charset=utf-8", head)
                return True
            if not (dist / "index.html").exists():
                self._send(PLACEHOLDER.format(api=api_url).encode(), "text/html; charset=utf-8", head)
                return True
            target = dist / path.lstrip("/")
            if path != "/" and not target.exists() and "." not in path.rsplit("/", 1)[-1]:
                self.path = "/index.html"  # client-side routes fall back to the app shell
            return False

        def do_GET(self):
            if not self._route(head=False):
                super().do_GET()

        def do_HEAD(self):
            if not self._route(head=True):
                super().do_HEAD()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="site", daemon=True).start()
    return server


def write_site_config(api_url: str) -> Path | None:
    dist = ROOT / "admin_site" / "dist"
    if not dist.is_dir():
        return None
    path = dist / "config.js"
    path.write_text(f"window.REVISIT_CONFIG = {json.dumps({'apiBase': api_url})};\n", encoding="utf-8")
    return path
