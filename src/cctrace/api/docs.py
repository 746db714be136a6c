"""The API's documentation pages, written from the OpenAPI document, loading nothing from
the internet (FastAPI's default pages fetch Swagger UI from a CDN): plain HTML and one
stylesheet served by the app itself, no script, so ``default-src 'self'`` holds."""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from cctrace.api.deps import ACTION_KEY

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1d2327; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccd; }
.op { border: 1px solid #dde; border-radius: 6px; margin: 1rem 0; padding: .6rem 1rem; }
.method { display: inline-block; min-width: 4.2rem; font-weight: 700; }
.GET { color: #1a6; } .POST { color: #16a; } .PUT { color: #a61; } .DELETE { color: #b22; }
code, .path { font-family: ui-monospace, monospace; }
table { border-collapse: collapse; margin: .4rem 0; }
td, th { border: 1px solid #dde; padding: .2rem .5rem; text-align: left; vertical-align: top; }
.note { color: #555; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return "-"
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f'<a href="#schema-{_e(name)}">{_e(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items'))}"
    if "enum" in schema:
        return " | ".join(f"<code>{_e(v)}</code>" for v in schema["enum"])
    fmt = f" ({schema['format']})" if "format" in schema else ""
    return _e(f"{schema.get('type', 'object')}{fmt}")


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    out = [f'<div class="op"><span class="method {_e(method)}">{_e(method)}</span>']
    out.append(f'<span class="path">{_e(path)}</span>')
    if op.get("summary"):
        out.append(f"<p><b>{_e(op['summary'])}</b></p>")
    if op.get("description"):
        out.append(f"<p>{_e(op['description'])}</p>")
    action = op.get(ACTION_KEY)
    auth = "none" if not op.get("security") else f"token; audited as <code>{_e(action)}</code>"
    out.append(f'<p class="note">authentication: {auth}</p>')
    params = op.get("parameters", [])
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>")
        for p in params:
            required = "yes" if p.get("required") else "no"
            out.append(
                f"<tr><td><code>{_e(p['name'])}</code></td><td>{_e(p['in'])}</td>"
                f"<td>{_schema_name(p.get('schema'))}</td><td>{required}</td></tr>"
            )
        out.append("</table>")
    body = op.get("requestBody", {}).get("content", {})
    for media, spec in body.items():
        out.append(f"<p>body ({_e(media)}): {_schema_name(spec.get('schema'))}</p>")
    out.append("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>")
    for status, resp in op.get("responses", {}).items():
        content = resp.get("content", {})
        bodies = ", ".join(f"{_e(m)}: {_schema_name(c.get('schema'))}" for m, c in content.items())
        out.append(
            f"<tr><td>{_e(status)}</td><td>{_e(resp.get('description', ''))}</td>"
            f"<td>{bodies or '-'}</td></tr>"
        )
    out.append("</table></div>")
    return "\n".join(out)


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{_e(k)}</code></td><td>{_schema_name(v)}</td>"
        f"<td>{'yes' if k in required else 'no'}</td><td>{_e(v.get('description', ''))}</td></tr>"
        for k, v in schema.get("properties", {}).items()
    )
    return (
        f'<h3 id="schema-{_e(name)}">{_e(name)}</h3>'
        + (f"<p>{_e(schema['description'])}</p>" if schema.get("description") else "")
        + "<table><tr><th>key</th><th>type</th><th>required</th><th>meaning</th></tr>"
        + rows
        + "</table>"
    )


def render_docs(doc: dict[str, Any]) -> str:
    info = doc.get("info", {})
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{_e(info.get('title', 'API'))}</title>",
        '<link rel="stylesheet" href="/docs/docs.css"></head><body>',
        f"<h1>{_e(info.get('title', 'API'))} {_e(info.get('version', ''))}</h1>",
        f"<p>{_e(info.get('description', ''))}</p>",
        '<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a>.</p>',
        "<h2>Operations</h2>",
    ]
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            parts.append(_operation(method.upper(), path, op))
    parts.append("<h2>Schemas</h2>")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        parts.append(_schema(name, schema))
    parts.append("</body></html>")
    return "\n".join(parts)


def docs_router(app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    @router.get("/redoc", response_class=HTMLResponse)
    def docs(_request: Request) -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()))

    @router.get("/docs/docs.css")
    def docs_css() -> Response:
        return Response(CSS, media_type="text/css")

    return router
