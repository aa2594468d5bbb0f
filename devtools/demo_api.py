"""A local stand-in for the web shop and helpdesk REST APIs, serving the generated landing data.

`omni serve-demo-api` (and the tests) serve on 127.0.0.1 what a real platform would: the current
version of every record (the newest `updated_at` among the landing exports), filtered and paginated
the way the real APIs do, so the dlt `rest_api` path is exercised for real.

- Web shop (Shopify-like): `GET /admin/api/2024-01/<entity>.json?updated_at_min=ISO&limit=N`, pages
  linked by a `Link: <...>; rel="next"` header with a `page_info` token. Entities: customers, orders,
  checkouts, returns (returns are filtered on `created_at`).
- Helpdesk (Zendesk-like incremental export): `GET /api/v2/incremental/tickets/cursor.json?start_time=EPOCH
  &per_page=N[&cursor=C]` answering `{"tickets": [...], "after_cursor": C | null, "end_of_stream": bool}`.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

WEBSHOP_PREFIX = "/admin/api/2024-01/"
# entity in the URL -> (landing folder, file prefix, root key of the documents, cursor field)
WEBSHOP_ENTITIES = {
    "customers": ("customers", "customers_", "customers", "updated_at"),
    "orders": ("orders", "orders_", "orders", "updated_at"),
    "checkouts": ("checkouts", "abandoned_checkouts_", "checkouts", "updated_at"),
    "returns": ("returns", "returns_", "returns", "created_at"),
}
HELPDESK_PATH = "/api/v2/incremental/tickets/cursor.json"
MAX_PAGE = 1000


def _parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def current_versions(folder: Path, prefix: str, root: str, cursor: str) -> list[dict]:
    """The newest version of every record across the exports, ordered by (cursor, id)."""
    latest: dict = {}
    for path in sorted(folder.glob(f"{prefix}*.json")):
        try:
            records = json.loads(path.read_text(encoding="utf-8")).get(root, [])
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # a corrupt export: the API serves what the platform has, not broken files
        for record in records:
            key = record.get("id")
            stamp = record.get("updated_at") or record.get(cursor)
            if key is None or stamp is None:
                continue
            if key not in latest or stamp >= (latest[key].get("updated_at") or latest[key].get(cursor)):
                latest[key] = record
    return sorted(latest.values(), key=lambda r: (r[cursor], r["id"]))


class DemoApi:
    """The served data, read from a landing directory on demand (so new exports show up)."""

    def __init__(self, landing_dir: Path) -> None:
        self.landing = Path(landing_dir)

    def webshop(self, entity: str, updated_at_min: str | None, offset: int, limit: int) -> tuple[list, bool]:
        folder, prefix, root, cursor = WEBSHOP_ENTITIES[entity]
        rows = current_versions(self.landing / "webshop" / folder, prefix, root, cursor)
        if updated_at_min:
            since = _parse_ts(updated_at_min)
            rows = [r for r in rows if _parse_ts(r[cursor]) >= since]
        page = rows[offset : offset + limit]
        return page, offset + limit < len(rows)

    def tickets(self, start_time: int, offset: int, per_page: int) -> tuple[list, bool]:
        rows = current_versions(self.landing / "helpdesk" / "tickets", "tickets_", "tickets", "updated_at")
        since = datetime.fromtimestamp(start_time, UTC)
        rows = [r for r in rows if _parse_ts(r["updated_at"]) >= since]
        return rows[offset : offset + per_page], offset + per_page < len(rows)


def _token(offset: int, **fixed: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset, **fixed}).encode()).decode()


def _untoken(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.encode()))


def make_handler(api: DemoApi):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            try:
                if url.path.startswith(WEBSHOP_PREFIX) and url.path.endswith(".json"):
                    return self._webshop(url.path[len(WEBSHOP_PREFIX) : -len(".json")], query)
                if url.path == HELPDESK_PATH:
                    return self._tickets(query)
            except (ValueError, KeyError) as exc:
                return self._send(400, {"errors": f"bad request: {exc}"})
            self._send(404, {"errors": "Not Found"})

        def _webshop(self, entity: str, query: dict) -> None:
            if entity not in WEBSHOP_ENTITIES:
                return self._send(404, {"errors": "Not Found"})
            limit = min(int(query.get("limit", 50)), MAX_PAGE)
            if "page_info" in query:  # as in Shopify, a page token carries the filters
                state = _untoken(query["page_info"])
                offset, since = state["offset"], state.get("updated_at_min")
            else:
                offset, since = 0, query.get("updated_at_min")
            rows, more = api.webshop(entity, since, offset, limit)
            headers = {}
            if more:
                token = _token(offset + limit, **({"updated_at_min": since} if since else {}))
                nxt = f"http://{self.headers['Host']}{WEBSHOP_PREFIX}{entity}.json?" + urlencode(
                    {"limit": limit, "page_info": token}
                )
                headers["Link"] = f'<{nxt}>; rel="next"'
            self._send(200, {WEBSHOP_ENTITIES[entity][2]: rows}, headers)

        def _tickets(self, query: dict) -> None:
            per_page = min(int(query.get("per_page", 100)), MAX_PAGE)
            if "cursor" in query:
                state = _untoken(query["cursor"])
                offset, start = state["offset"], int(state["start_time"])
            else:
                offset, start = 0, int(query.get("start_time", 0))
            rows, more = api.tickets(start, offset, per_page)
            cursor = _token(offset + per_page, start_time=str(start)) if more else None
            self._send(200, {"tickets": rows, "after_cursor": cursor, "end_of_stream": not more})

    return Handler


class DemoApiServer:
    """Serve in a background thread; `with DemoApiServer(landing) as base_url: ...` (port 0 = any)."""

    def __init__(self, landing_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = ThreadingHTTPServer((host, port), make_handler(DemoApi(landing_dir)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> str:
        self.thread.start()
        return self.base_url

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(landing_dir: Path, host: str = "127.0.0.1", port: int = 8765) -> None:
    server = ThreadingHTTPServer((host, port), make_handler(DemoApi(landing_dir)))
    try:
        server.serve_forever()
    finally:
        server.server_close()
