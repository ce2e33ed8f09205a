"""Rendering notifications with the Jinja2 templates shipped in ``services/notify/templates``.

Layout: ``templates/<lang>/<name>.txt.j2`` extends ``<lang>/_base.txt.j2`` and defines a
``subject`` block (not printed by the base) and a ``body`` block. HTML comes from
``<lang>/<name>.html.j2`` when it exists, else from ``_layout.html.j2`` around the text body.
HTML templates are autoescaped; text templates are not (they are never interpreted as markup).
Templates see only the notification's ``context`` plus ``lang``; codes such as predicates are
turned into words by the ``label`` filter, dates by ``date`` / ``datetime``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context
from pydantic import Field

from services.notify.domain.model import Language, Notification
from shared.events.base import Model

LANGUAGES: tuple[Language, ...] = ("id", "en")

# Words for codes, per language. Indonesian terms follow PermenPANRB 6/2022.
LABELS: dict[str, dict[str, dict[Language, str]]] = {
    "predicate": {
        "sangat_baik": {"id": "Sangat Baik", "en": "Very good"},
        "baik": {"id": "Baik", "en": "Good"},
        "butuh_perbaikan": {"id": "Butuh Perbaikan", "en": "Needs improvement"},
        "kurang": {"id": "Kurang", "en": "Poor"},
        "sangat_kurang": {"id": "Sangat Kurang", "en": "Very poor"},
    },
    "rating": {
        "di_atas_ekspektasi": {"id": "Di Atas Ekspektasi", "en": "Above expectations"},
        "sesuai_ekspektasi": {"id": "Sesuai Ekspektasi", "en": "Meets expectations"},
        "di_bawah_ekspektasi": {"id": "Di Bawah Ekspektasi", "en": "Below expectations"},
    },
    "recommendation": {
        "training": {"id": "Pelatihan", "en": "Training"},
        "seminar": {"id": "Seminar", "en": "Seminar"},
        "scholarship": {"id": "Beasiswa", "en": "Scholarship"},
        "promotion_readiness": {"id": "Kesiapan promosi", "en": "Promotion readiness"},
        "reward": {"id": "Penghargaan", "en": "Reward"},
        "allowance": {"id": "Tunjangan kinerja", "en": "Performance allowance"},
        "sanction": {"id": "Sanksi", "en": "Sanction"},
        "team_award": {"id": "Penghargaan tim", "en": "Team award"},
        "talent_box": {"id": "Kotak talenta (9-box)", "en": "Talent box (9-box)"},
    },
    "cycle_kind": {
        "annual": {"id": "tahunan", "en": "annual"},
        "periodic": {"id": "periodik", "en": "periodic"},
    },
    "decision": {
        "confirmed": {"id": "dikonfirmasi", "en": "confirmed"},
        "overridden": {"id": "diubah", "en": "changed"},
    },
    "missing": {
        "supervisor_assessment": {
            "id": "penilaian oleh pejabat penilai kinerja (atasan langsung)",
            "en": "the appraising official's (direct supervisor's) assessment",
        },
        "results": {
            "id": "capaian hasil kerja (SKP yang disetujui dan realisasinya)",
            "en": "results (an approved plan and its realised values)",
        },
        "behaviour": {"id": "penilaian perilaku kerja", "en": "a behaviour assessment"},
    },
    "status": {
        "accepted": {"id": "diterima", "en": "accepted"},
        "rejected": {"id": "ditolak", "en": "rejected"},
    },
}

_MONTHS: dict[Language, tuple[str, ...]] = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


class Rendered(Model):
    """A rendered message: one-line subject, plain-text body, optional HTML body."""

    subject: str = Field(description="Subject, one line.")
    text: str = Field(description="Plain-text body.")
    html: str | None = Field(None, description="HTML body, if the channel wants one.")


class TemplateMissing(LookupError):
    """A notification names a template that does not exist for its language."""


def label(group: str, code: str, lang: Language) -> str:
    """The word for ``code`` of ``group`` in ``lang``; unknown codes are shown as they are."""
    return LABELS.get(group, {}).get(code, {}).get(lang, code)


def format_date(value: str | date, lang: Language) -> str:
    """``2026-01-31`` as ``31 Januari 2026`` or ``31 January 2026``."""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {_MONTHS[lang][d.month - 1]} {d.year}"


def format_datetime(value: str | datetime, lang: Language, tz: str) -> str:
    """An aware ISO timestamp shown in the region's zone, e.g. ``31 Januari 2026 15.00 WIB``."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = dt.astimezone(ZoneInfo(tz))
    # Indonesian writes times with a dot (15.00), English with a colon.
    clock = local.strftime("%H.%M" if lang == "id" else "%H:%M")
    return f"{format_date(local.date(), lang)} {clock} {local.tzname()}"


def render(notification: Notification, *, html: bool = True) -> Rendered:
    """Render ``notification`` in its language.

    :raises TemplateMissing: when the notification has no template (webhooks) or it is unknown.
    """
    if notification.template is None:
        raise TemplateMissing(f"{notification.notification_id} has no template ({notification.channel})")
    lang = notification.language
    env = _environment()
    try:
        tmpl = env.get_template(f"{lang}/{notification.template}.txt.j2")
    except jinja2.TemplateNotFound as exc:
        raise TemplateMissing(f"no template {lang}/{notification.template}") from exc
    variables = {**notification.context, "lang": lang}
    subject = " ".join("".join(tmpl.blocks["subject"](tmpl.new_context(variables))).split())
    # Optional paragraphs leave runs of blank lines behind; one blank line between paragraphs is enough.
    text = re.sub(r"\n{3,}", "\n\n", tmpl.render(variables).strip()) + "\n"
    return Rendered(
        subject=subject, text=text, html=_html(env, notification, subject, text) if html else None
    )


def template_names() -> list[str]:
    """Every message template, without language and suffix (``score_finalized.employee``, ...)."""
    names = _environment().list_templates(filter_func=lambda n: n.endswith(".txt.j2"))
    # Names starting with "_" are layouts, not messages.
    return sorted({n.split("/", 1)[1].removesuffix(".txt.j2") for n in names if "/_" not in n})


def _html(env: jinja2.Environment, n: Notification, subject: str, text: str) -> str:
    try:
        tmpl = env.get_template(f"{n.language}/{n.template}.html.j2")
        return tmpl.render({**n.context, "lang": n.language, "subject": subject})
    except jinja2.TemplateNotFound:
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        return env.get_template("_layout.html.j2").render(
            lang=n.language, subject=subject, paragraphs=paragraphs
        )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        # PackageLoader goes through importlib, so templates are found in a wheel as in a checkout.
        loader=jinja2.PackageLoader("services.notify", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = _label_filter
    env.filters["date"] = _date_filter
    env.filters["datetime"] = _datetime_filter
    return env


@pass_context
def _label_filter(ctx: Context, code: str, group: str) -> str:
    return label(group, code, ctx["lang"])


@pass_context
def _date_filter(ctx: Context, value: str) -> str:
    return format_date(value, ctx["lang"])


@pass_context
def _datetime_filter(ctx: Context, value: str, tz: str) -> str:
    return format_datetime(value, ctx["lang"], tz)
