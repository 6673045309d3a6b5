"""The sources page: feed health for everyone; adding a feed or importing OPML with the admin token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from newsdesk.errors import NewsdeskError
from newsdesk.web.security import CSRF_COOKIE, admin_token_ok
from newsdesk.web.site import Site

MAX_OPML_BYTES = 1_000_000  # larger uploads are refused


@dataclass(frozen=True)
class AdminForm:
    """The fields every admin form sends besides its own."""

    admin_token: str  # what the reader typed as the admin token
    csrf_token: str  # the hidden token tying the form to the reader's cookie


def admin_form(admin_token: str = Form("", max_length=500), csrf_token: str = Form("", max_length=200)) -> AdminForm:
    """The admin fields of a posted form (a FastAPI dependency)."""
    return AdminForm(admin_token, csrf_token)


Admin = Annotated[AdminForm, Depends(admin_form)]


def admin_routes(site: Site) -> APIRouter:
    """The sources page and its two forms."""
    router = APIRouter(include_in_schema=False)
    desk = site.desk

    def page(request: Request, status_code: int = 200, message: str = "", error: str = "") -> Response:
        cookie = request.cookies.get(CSRF_COOKIE) or site.csrf.new_cookie()
        context: dict[str, Any] = {
            "sources": desk.sources(),
            "csrf_token": site.csrf.form_token(cookie),
            "writes_enabled": bool(site.settings.admin_token),
            "message": message,
            "error": error,
        }
        html = site.templates.get_template("sources.html").render(
            {"request": request, "base_url": site.base_url(request), "path": "/sources", **context}
        )
        reply = Response(html, status_code=status_code, media_type="text/html; charset=utf-8")
        reply.headers["Cache-Control"] = "no-store"
        reply.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict", path="/sources")
        return reply

    def refused(request: Request, form: AdminForm) -> Response | None:
        if not site.csrf.valid(request.cookies.get(CSRF_COOKIE), form.csrf_token):
            return page(request, 403, error="The form expired or came from another site. Please try again.")
        if not site.settings.admin_token:
            return page(request, 403, error="Adding sources is disabled: set admin_token in the settings.")
        if not admin_token_ok(site.settings, form.admin_token):
            return page(request, 401, error="That admin token is not right.")
        return None

    @router.get("/sources")
    def sources(request: Request, added: int | None = None) -> Response:
        message = f"Added {added} source{'s' if added != 1 else ''}." if added is not None else ""
        return page(request, message=message)

    @router.post("/sources")
    def add_source(request: Request, form: Admin, url: str = Form(..., max_length=2000)) -> Response:
        refusal = refused(request, form)
        if refusal is not None:
            return refusal
        try:
            desk.add_source(url, local=False)
        except NewsdeskError as exc:
            return page(request, 400, error=str(exc))
        return RedirectResponse("/sources?added=1", status_code=303)

    @router.post("/sources/opml")
    async def import_opml(
        request: Request,
        form: Admin,
        opml: Annotated[UploadFile, File(description="an OPML file")],
    ) -> Response:
        refusal = refused(request, form)
        if refusal is not None:
            return refusal
        body = await opml.read(MAX_OPML_BYTES + 1)
        if len(body) > MAX_OPML_BYTES:
            return page(request, 413, error="That OPML file is too large (1 MB at most).")
        try:
            added, _known = await run_in_threadpool(desk.import_opml, body, opml.filename or "OPML file")
        except NewsdeskError as exc:
            return page(request, 400, error=str(exc))
        return RedirectResponse(f"/sources?added={added}", status_code=303)

    @router.get("/sources.opml")
    def export_opml(request: Request) -> Response:
        body = desk.export_opml()
        return Response(body, media_type="text/x-opml; charset=utf-8", headers={"Cache-Control": "no-cache"})

    return router
