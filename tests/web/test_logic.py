"""The web's pure parts: claims to a person, numbers as people type them, the plan form's blocks,
the API's problems laid beside fields, and where a sign-in may return to. No servers."""

from __future__ import annotations

import time

import pytest

from services.web.clients import ApiProblem
from services.web.config import WebSettings
from services.web.forms import Form, lay_out, number
from services.web.pages.auth import safe_next
from services.web.pages.plan import results_of, shape, values_of
from services.web.signin import Person, SignInRefused, claim_value, person_from_claims
from shared.auth import Role, decode_token
from shared.settings import Settings

DEX = {
    "sub": "Cg1wZWdhd2Fp",
    "email": "pegawai@marelan.kinerja.test",
    "name": "Pegawai dinkes 1",
    "preferred_username": "198001202010011010",
    "groups": ["role:employee", "region:marelan"],
}


def test_a_claim_is_a_name_or_the_prefixed_entry_of_a_list() -> None:
    assert claim_value(DEX, "groups[role:]") == "employee"
    assert claim_value(DEX, "groups[region:]") == "marelan"
    assert claim_value(DEX, "preferred_username") == "198001202010011010"
    assert claim_value(DEX, "groups[unit:]") is None
    assert claim_value({"kinerja_role": "hr_admin"}, "kinerja_role") == "hr_admin"
    assert claim_value({"groups": "role:employee"}, "groups[role:]") is None


def test_verified_claims_make_a_person_whose_token_the_services_accept() -> None:
    settings = WebSettings()
    person = person_from_claims(settings, DEX, now=time.time())
    assert (person.role, person.region, person.nip) == (Role.EMPLOYEE, "marelan", "198001202010011010")
    principal = decode_token(Settings(), person.token)
    assert (principal.role, principal.region, principal.nip) == (Role.EMPLOYEE, "marelan", person.nip)
    assert Person.from_session(person.to_session()) == person
    expired = {**person.to_session(), "expires": time.time() - 1}
    assert Person.from_session(expired) is None
    assert Person.from_session({"role": "nonsense"}) is None


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({**DEX, "groups": ["region:marelan"]}, "no-role"),
        ({**DEX, "groups": ["role:system", "region:marelan"]}, "no-role"),
        ({**DEX, "groups": ["role:employee"]}, "no-region"),
        ({**DEX, "preferred_username": "pegawai"}, "no-nip"),
        ({**DEX, "groups": ["role:employee", "region:plaju"]}, "other-region"),
    ],
)
def test_claims_that_make_no_person_of_this_web_are_refused(claims: dict[str, object], reason: str) -> None:
    with pytest.raises(SignInRefused) as refused:
        person_from_claims(WebSettings(regions="marelan"), claims)
    assert refused.value.reason == reason


def test_an_administrator_needs_no_nip() -> None:
    hr = person_from_claims(
        WebSettings(), {**DEX, "preferred_username": "bkpsdm", "groups": ["role:hr_admin", "region:marelan"]}
    )
    assert hr.role is Role.HR_ADMIN and hr.nip is None and hr.hr


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12", 12.0),
        ("12,5", 12.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        (" 7 ", 7.0),
        ("", None),
        ("-3", -3.0),
    ],
)
def test_numbers_as_people_type_them(typed: str, value: float | None) -> None:
    assert number(typed) == value


def test_a_word_is_not_a_number() -> None:
    with pytest.raises(ValueError):
        number("dua belas")


def test_a_sign_in_returns_only_to_a_local_path() -> None:
    assert safe_next("/team?cycle=x") == "/team?cycle=x"
    for target in ("https://evil.example", "//evil.example/x", "/\\evil", None, ""):
        assert safe_next(target) == "/"


def test_the_plan_form_round_trips_a_plan_and_adds_blocks() -> None:
    plan = {
        "results": [
            {
                "result_id": "rhk-1",
                "title": "Layanan publik",
                "kind": "utama",
                "supports": "marelan-2026-1980/rhk-2",
                "indicators": [
                    {
                        "indicator_id": "iki-1",
                        "name": "Berkas",
                        "aspect": "quantity",
                        "target": 100,
                        "unit": "berkas",
                    },
                    {
                        "indicator_id": "iki-2",
                        "name": "Hari",
                        "aspect": "time",
                        "target": 5,
                        "unit": "hari",
                        "direction": "lower",
                    },
                ],
            }
        ]
    }
    form = Form(values=values_of(plan))
    assert shape(form.values) == [2]
    results = results_of(form, shape(form.values), lambda s: s)
    assert not form.failed
    assert results[0]["result_id"] == "rhk-1" and results[0]["supports"] == "marelan-2026-1980/rhk-2"
    assert [(i["indicator_id"], i["target"], i["direction"]) for i in results[0]["indicators"]] == [
        ("iki-1", 100.0, "higher"),
        ("iki-2", 5.0, "lower"),
    ]
    # A blank block added by "add an indicator" is left out; a target that is no number is an error.
    form.values.update(
        {"r0i2_name": "", "r1_title": "Tambahan", "r1i0_name": "Rapat", "r1i0_target": "banyak"}
    )
    assert shape(form.values) == [3, 1]
    results_of(form, shape(form.values), lambda s: s)
    assert form.fields == {"r1i0_target": ["Enter a number, such as 12 or 12,5."]}


def test_a_problem_lands_beside_the_field_it_names_and_in_the_summary() -> None:
    problem = ApiProblem(
        422,
        {
            "detail": "iki-1: -3 berkas cannot be negative",
            "errors": [{"key": "note", "message": "too long"}],
            "problems": ["iki-1: -3 berkas cannot be negative", "an indicator is reported twice"],
        },
    )
    form = lay_out(
        Form(), problem, lambda path: "note" if path == "note" else None, [("iki-1", "value_iki-1")]
    )
    assert form.fields == {"note": ["too long"], "value_iki-1": ["iki-1: -3 berkas cannot be negative"]}
    assert (None, "an indicator is reported twice") in form.summary and len(form.summary) == 3
    bare = lay_out(Form(), ApiProblem(409, {"title": "Conflict", "detail": "stale write"}), lambda path: None)
    assert bare.summary == [(None, "stale write")] and not bare.fields


def test_the_web_refuses_to_serve_beyond_this_machine_with_weak_secrets() -> None:
    strong = "x" * 40
    assert WebSettings().secret_problem() is None  # loopback: the development defaults are fine
    public = {"http_host": "0.0.0.0", "jwt_secret": strong, "session_secret": strong}
    assert WebSettings(**public).secret_problem() is None
    assert "built-in" in (
        WebSettings(**{**public, "session_secret": WebSettings().session_secret}).secret_problem() or ""
    )
    assert "placeholder" in (
        WebSettings(**{**public, "oidc_client_secret": "REPLACE-ME"}).secret_problem() or ""
    )
    assert "shorter" in (WebSettings(**{**public, "session_secret": "short"}).secret_problem() or "")
    assert "built-in" in (
        WebSettings(**{**public, "jwt_secret": Settings().jwt_secret}).secret_problem() or ""
    )


def test_htmx_is_the_pinned_release_from_the_npm_registry() -> None:
    """services/web/static/htmx.min.js is htmx.org 2.0.11's dist/htmx.min.js (`make htmx`), byte
    for byte: no CDN, no local edits."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    served = (root / "services" / "web" / "static" / "htmx.min.js").read_bytes()
    assert "HTMX_VERSION := 2.0.11" in (root / "Makefile").read_text()
    assert (
        hashlib.sha256(served).hexdigest()
        == "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    )


def _luminance(hex_colour: str) -> float:
    if len(hex_colour) == 4:  # #fff
        hex_colour = "#" + "".join(c * 2 for c in hex_colour[1:])
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_stylesheets_text_colours_meet_wcag_aa_contrast() -> None:
    """Every text colour of the stylesheet on the backgrounds it is used on: at least 4.5:1."""
    import re
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "services" / "web" / "static" / "kinerja.css").read_text()
    colour = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6}|#[0-9a-f]{3})\b", css))
    colour["white"] = "#ffffff"
    pairs = [
        ("ink", "paper"),
        ("ink", "wash"),
        ("muted", "paper"),
        ("muted", "wash"),
        ("link", "paper"),
        ("link", "wash"),
        ("error", "paper"),
        ("ok", "paper"),
        ("white", "brand"),
        ("white", "error"),
        ("ink", "#e8f4ec"),
        ("ink", "#e3f0e7"),
        ("ink", "#fbeaea"),
    ]
    for text, ground in pairs:
        lighter, darker = sorted(
            (_luminance(colour.get(text, text)), _luminance(colour.get(ground, ground))), reverse=True
        )
        ratio = (lighter + 0.05) / (darker + 0.05)
        assert ratio >= 4.5, (text, ground, round(ratio, 2))


def test_a_path_segment_cannot_climb_to_another_resource() -> None:
    from services.web.clients import seg

    assert seg("marelan-2026") == "marelan-2026"
    assert "/" not in seg("../employees/198001202010011010") and ".." in seg("..")
