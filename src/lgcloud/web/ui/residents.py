"""住民記録 screens for the counter: search → person / 世帯 with the full history → each 異動 as a form.

Forms post back to themselves; a rule violation re-renders the form with the message next to the
field (nothing is written), success redirects to the person. The same services as the JSON API.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lgcloud.errors import LgcloudError
from lgcloud.linkage import handoff
from lgcloud.residents import present, queries
from lgcloud.residents.commands import parse_command
from lgcloud.residents.errors import ResidentNotFound
from lgcloud.residents.handlers import AMEND_ITEMS
from lgcloud.residents.model import HEAD, Row
from lgcloud.residents.services import Actor, record_ido, today_jst
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.deps import TenantContext, check_csrf, tenant_access
from lgcloud.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_READ))]
Writer = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_WRITE))]

#: 異動 forms: kind → (title, needs a person). Order = the menu on the person page.
FORMS: dict[str, tuple[str, bool]] = {
    "move_in": ("転入", False),
    "entry_by_authority": ("職権記載", False),
    "move_within": ("転居", True),
    "move_out": ("転出", True),
    "move_out_confirm": ("転入通知による転出確定", True),
    "household_split": ("世帯分離", True),
    "household_change": ("世帯変更", True),
    "household_merge": ("世帯合併", True),
    "head_change": ("世帯主変更", True),
    "birth": ("出生", True),
    "death": ("死亡", True),
    "removal_by_authority": ("職権消除", True),
    "amend": ("修正（職権修正・軽微な修正・誤記修正・旧氏・通称）", True),
    "cancel": ("異動の取消し", True),
}
#: What may be entered for a person who is no longer a 住民 (除票).
FORMS_FOR_REMOVED = ("move_out_confirm", "amend", "cancel")
PERSON_SLOTS = 4
PERSON_FIELDS = (
    "shimei",
    "shimei_kana",
    "birth_date",
    "sex",
    "zokugara",
    "honseki",
    "hittosha",
    "juminhyo_code",
    "mynumber",
    "kind",
    "alpha_name",
    "nationality",
    "foreign_status_kind",
    "residence_status",
    "residence_card_no",
    "reentry_atena_no",
)
SEARCH_FIELDS = (
    "name",
    "kana",
    "birth_date",
    "sex",
    "address",
    "atena_no",
    "setai_no",
    "juminhyo_code",
    "mynumber",
    "residence_card_no",
    "zokugara",
    "address_code",
    "katagaki",
    "removal_reason",
)


def _base(lg_code: str) -> str:
    return f"/m/{lg_code}/residents"


def _flag(value: str | None) -> bool:
    return value in ("1", "on", "true")


# --- search ---------------------------------------------------------------------------------------


@router.get("/m/{lg_code}/residents", response_class=HTMLResponse)
def search_page(request: Request, ctx: Reader) -> Response:
    params = request.query_params
    form = {k: params.get(k, "") for k in SEARCH_FIELDS}
    context: dict[str, Any] = {
        "lg_code": ctx.lg_code,
        "form": form,
        "page": None,
        "error": None,
        "include_removed": params.get("include_removed", "1") == "1",
        "include_history": params.get("include_history", "1") == "1",
        "can_mynumber": ctx.principal.can(Permission.MYNUMBER_READ),
        "base": _base(ctx.lg_code),
        "present": present,
    }
    if any(form.values()):
        q = queries.SearchQuery(
            **{k: v or None for k, v in form.items()},
            include_removed=context["include_removed"],
            include_history=context["include_history"],
            page=int(params.get("page", "1") or 1),
        )
        try:
            with ctx.session() as session:
                context["page"] = queries.search(
                    session,
                    ctx.lg_code,
                    ctx.principal.name,
                    q,
                    can_read_mynumber=context["can_mynumber"],
                    source_ip=ctx.source_ip,
                )
        except LgcloudError as exc:
            context["error"] = exc.message
        context.update(_pager(request, context["page"]))
    template = "residents/_results.html" if request.headers.get("hx-request") else "residents/search.html"
    return render(request, template, context)


def _pager(request: Request, page: queries.SearchPage | None) -> dict[str, str | None]:
    if page is None:
        return {}
    params = {k: v for k, v in request.query_params.items() if k != "page"}

    def url(n: int) -> str:
        return f"?{urlencode({**params, 'page': n})}"

    return {
        "prev_url": url(page.page - 1) if page.page > 1 else None,
        "next_url": url(page.page + 1) if page.has_next else None,
    }


# --- person ---------------------------------------------------------------------------------------


@router.get("/m/{lg_code}/residents/{atena_no}", response_class=HTMLResponse)
def person_page(
    request: Request,
    ctx: Reader,
    atena_no: str,
    at: str | None = None,
    show_mynumber: bool = False,
    release_id: int | None = None,
) -> Response:
    with ctx.session() as session:
        view = queries.view_person(
            session,
            ctx.lg_code,
            ctx.principal.name,
            atena_no,
            can_read_mynumber=ctx.principal.can(Permission.MYNUMBER_READ),
            show_mynumber=show_mynumber,
            source_ip=ctx.source_ip,
            release_id=release_id,
        )
        at_row = _state_at(session, ctx, atena_no, at)
    timeline = [
        (row, view.ido.get(row.ido_id), present.change_list(prev.person if prev else None, row.person))
        for prev, row in zip([None, *view.history[:-1]], view.history, strict=True)
    ]
    return render(
        request,
        "residents/person.html",
        {
            "lg_code": ctx.lg_code,
            "view": view,
            "p": view.current.person,
            "timeline": list(reversed(timeline)),
            "present": present,
            "labels": present.LABELS,
            "forms": _forms_for(view.current),
            "base": _base(ctx.lg_code),
            "at": at or "",
            "at_row": at_row,
            "can_write": ctx.principal.can(Permission.RESIDENT_WRITE),
            "can_mynumber": ctx.principal.can(Permission.MYNUMBER_READ),
            "show_mynumber": show_mynumber,
        },
    )


def _forms_for(row: Row) -> dict[str, str]:
    """The 異動 menu of a person: all of them for a 住民, corrections only for a 除票."""
    person = row.person
    kinds = [k for k, (_, needs_person) in FORMS.items() if needs_person]
    if not person.is_resident:
        kinds = [k for k in kinds if k in FORMS_FOR_REMOVED]
        if person.move_out_planned_on is None:
            kinds.remove("move_out_confirm")
    else:
        kinds.remove("move_out_confirm")
    return {k: FORMS[k][0] for k in kinds}


def _state_at(session: Any, ctx: TenantContext, atena_no: str, at: str | None) -> Row | str | None:
    if not at:
        return None
    try:
        when = date.fromisoformat(at)
    except ValueError:
        return "日付は YYYY-MM-DD で入力してください"
    row = queries.state_at(session, ctx.lg_code, atena_no, when)
    return queries.shown(session, ctx.lg_code, [row])[0] if row else "その日にはまだ記録がありません"


# --- 異動 forms -------------------------------------------------------------------------------------


def _form_context(ctx: TenantContext, kind: str, atena_no: str | None, values: dict[str, str]) -> dict[str, Any]:
    person, members, latest_ido_id = None, [], ""
    if atena_no:
        with ctx.session() as session:
            rows = queries.current_rows(session, ctx.lg_code, [atena_no])
            if not rows:
                raise ResidentNotFound(f"宛名番号 {atena_no} の住民は見つかりません")
            person, latest_ido_id = queries.masked(rows[0], False).person, str(rows[0].ido_id)
            members = [
                queries.masked(r, False) for r in queries.household_members(session, ctx.lg_code, person.setai_no)
            ]
    return {
        "lg_code": ctx.lg_code,
        "kind": kind,
        "title": FORMS[kind][0],
        "atena_no": atena_no,
        "person": person,
        "members": members,
        "values": values,
        "errors": {},
        "error": None,
        "slots": range(PERSON_SLOTS),
        "amend_items": AMEND_ITEMS,
        "labels": present.LABELS,
        "base": _base(ctx.lg_code),
        "today": today_jst(),
        "head": HEAD,
        "latest_ido_id": latest_ido_id,
        "members_given": any(k.startswith("member_") for k in values),
        "group_members": handoff.group_members(ctx.db, ctx.lg_code) if kind == "move_out" else [],
    }


def _check_kind(kind: str, atena_no: str | None) -> None:
    if kind not in FORMS or FORMS[kind][1] != (atena_no is not None):
        raise LgcloudError("この異動の画面はありません", code="unknown-ido-form", status=404)


@router.get("/m/{lg_code}/residents/ido/{kind}", response_class=HTMLResponse)
@router.get("/m/{lg_code}/residents/{atena_no}/ido/{kind}", response_class=HTMLResponse)
def ido_form(request: Request, ctx: Writer, kind: str, atena_no: str | None = None) -> Response:
    _check_kind(kind, atena_no)
    return render(request, "residents/ido_form.html", _form_context(ctx, kind, atena_no, dict(request.query_params)))


@router.post("/m/{lg_code}/residents/ido/{kind}", response_class=HTMLResponse)
@router.post("/m/{lg_code}/residents/{atena_no}/ido/{kind}", response_class=HTMLResponse)
async def ido_submit(request: Request, ctx: Writer, kind: str, atena_no: str | None = None) -> Response:
    _check_kind(kind, atena_no)
    form = {k: str(v) for k, v in (await request.form()).multi_items()}
    check_csrf(request, form.get("csrf_token"))
    context = _form_context(ctx, kind, atena_no, form)
    htmx = request.headers.get("hx-request") == "true"
    try:
        command = parse_command(build_command(kind, atena_no, form, context["members"]))
        with ctx.session() as session:
            result = record_ido(session, ctx.lg_code, Actor(ctx.principal.name, source_ip=ctx.source_ip), command,
                                expected=_expected(form))  # fmt: skip
    except ValidationError as exc:
        context["errors"] = _pydantic_errors(exc)
        context["error"] = "入力内容に誤りがあります。赤字の項目を確認してください。"
        return render(request, "residents/ido_form.html", context, status_code=200 if htmx else 422)
    except LgcloudError as exc:
        field = str(exc.detail.get("field") or "")
        context.update(errors={field: exc.message} if field else {}, error=exc.message, error_code=exc.code)
        if exc.code == "reentry-detected":  # offer the 再転入: the former 宛名番号 is filled in, the clerk confirms
            context["values"] = {
                **form,
                f"reentry_atena_no_{exc.detail.get('person_index', 0)}": exc.detail["atena_no"],
            }
            context["error"] += "（再転入の宛名番号を入力しました。内容を確認して、もう一度記録してください）"
        return render(request, "residents/ido_form.html", context, status_code=200 if htmx else exc.status)
    target = atena_no if atena_no and any(r.atena_no == atena_no for r in result.rows) else result.rows[0].atena_no
    url = f"{_base(ctx.lg_code)}/{target}?done={result.ido.ido_id}"
    if htmx:  # htmx swaps only 2xx bodies; a full navigation shows the person with the new history
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _expected(form: dict[str, str]) -> dict[str, int]:
    return {k[len("expected_") :]: int(v) for k, v in form.items() if k.startswith("expected_") and v.isdigit()}


def _pydantic_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(x) for x in err["loc"] if not str(x).isdigit() and x != "command"]
        name = loc[-1] if loc else "form"
        errors[name] = "入力してください" if err["type"] in ("missing", "string_too_short") else str(err["msg"])
    return errors


# --- form → command -------------------------------------------------------------------------------


def _opt(form: dict[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _common(form: dict[str, str]) -> dict[str, Any]:
    return {
        "ido_date": _opt(form, "ido_date"),
        "todokede_date": _opt(form, "todokede_date"),
        "notice_date": _opt(form, "notice_date"),
        "note": _opt(form, "note"),
    }


def _address(form: dict[str, str]) -> dict[str, Any]:
    return {
        "address": form.get("address", "").strip(),
        "katagaki": _opt(form, "katagaki"),
        "postal_code": _opt(form, "postal_code"),
        "address_code": _opt(form, "address_code"),
    }


def _persons(form: dict[str, str]) -> list[dict[str, Any]]:
    persons = []
    for i in range(PERSON_SLOTS):
        if not form.get(f"shimei_{i}", "").strip():
            continue
        data = {f: _opt(form, f"{f}_{i}") for f in PERSON_FIELDS}
        reentry = data.pop("reentry_atena_no")
        data = {k: v for k, v in data.items() if v is not None}
        data.setdefault("shimei_kana", "")
        if reentry:
            data.update(atena_no=reentry, reentry=True)
        data["confirm_duplicate"] = _flag(form.get("confirm_duplicate"))
        persons.append(data)
    return persons


def _selected(form: dict[str, str], members: list[Row]) -> list[str]:
    return [r.atena_no for r in members if _flag(form.get(f"member_{r.atena_no}"))]


def _zokugara(form: dict[str, str], members: list[Row]) -> dict[str, str]:
    return {r.atena_no: v for r in members if (v := form.get(f"zokugara_{r.atena_no}", "").strip())}


def build_command(kind: str, atena_no: str | None, form: dict[str, str], members: list[Row]) -> dict[str, Any]:
    """The command a form describes (validated afterwards by pydantic and the rules)."""
    data: dict[str, Any] = {"kind": kind, **_common(form)}
    chosen = _selected(form, members)
    setai = members[0].person.setai_no if members else None
    zoku = _zokugara(form, members)
    if kind in ("move_in", "entry_by_authority"):
        data.update(
            persons=_persons(form),
            address=_address(form),
            prev_address=_opt(form, "prev_address"),
            to_setai_no=_opt(form, "to_setai_no"),
        )
        if kind == "move_in":
            data.update(origin=form.get("origin") or "domestic", prev_postal_code=_opt(form, "prev_postal_code"))
        else:
            data["unreported"] = _flag(form.get("unreported"))
    elif kind == "birth":
        persons = _persons(form)
        data.update(person=persons[0] if persons else {}, to_setai_no=setai)
    elif kind == "move_within":
        data.update(atena_nos=chosen, address=_address(form), zokugara=zoku, to_setai_no=_opt(form, "to_setai_no"))
    elif kind == "move_out":
        data.update(
            atena_nos=chosen,
            destination=form.get("destination") or "domestic",
            move_out_to=form.get("move_out_to", "").strip(),
            move_out_to_postal_code=_opt(form, "move_out_to_postal_code"),
            move_out_to_lg_code=_opt(form, "move_out_to_lg_code"),
        )
    elif kind == "move_out_confirm":
        data.update(atena_no=atena_no, move_in_date=_opt(form, "move_in_date"), confirmed_to=_opt(form, "confirmed_to"))
    elif kind in ("household_split", "removal_by_authority"):
        data["atena_nos"] = chosen
        if kind == "household_split":
            data["zokugara"] = {a: zoku.get(a, "") for a in chosen}
    elif kind == "household_change":
        data.update(
            atena_nos=chosen,
            to_setai_no=form.get("to_setai_no", "").strip(),
            zokugara={a: zoku.get(a, "") for a in chosen},
        )
    elif kind == "household_merge":
        data.update(from_setai_no=setai, to_setai_no=form.get("to_setai_no", "").strip(), zokugara=zoku)
    elif kind == "head_change":
        new_head = form.get("new_head", "")
        data.update(setai_no=setai, new_head=new_head, zokugara={a: z for a, z in zoku.items() if a != new_head})
    elif kind == "death":
        data["atena_no"] = atena_no
    elif kind == "amend":
        changes = {form[f"field_{i}"]: form.get(f"value_{i}", "") or None for i in range(3) if form.get(f"field_{i}")}
        data.update(
            atena_no=atena_no,
            reason=form.get("reason") or "職権修正",
            changes=changes,
            corrects_rireki_no=_opt(form, "corrects_rireki_no"),
        )
    elif kind == "cancel":
        data = {"kind": kind, "target_ido_id": _opt(form, "target_ido_id"), "note": _opt(form, "note")}
    return data
