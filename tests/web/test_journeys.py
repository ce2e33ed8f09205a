"""Browser journeys, one per role, in Debian's Chromium driven by Playwright, signing in through
the local Dex. The suite runs as processes (tests/web/suite.py); a failed journey leaves a
screenshot in .cache/screenshots/.

The journeys share the seeded marelan cycle and run in file order: the employee reports and the
supervisor watches, the supervisor approves and rates, a citizen answers, then HR closes the cycle. With
``KINERJA_SCREENSHOTS=<dir>`` they also save each role's main page at desktop and phone width
(docs/screenshots/ holds the committed ones).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.chromium import chromium, screenshot_on_failure
from tests.web.suite import Seeded, Suite
from tools.logins import Login, login

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
SHOTS = os.environ.get("KINERJA_SCREENSHOTS")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


async def sign_in(context: BrowserContext, suite: Suite, who: Login, path: str = "/") -> Page:
    page = await context.new_page()
    await page.goto(suite.web + path)
    await page.fill("input[name=login]", who.email)
    await page.fill("input[name=password]", who.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(re.escape(suite.web) + ".*"))
    return page


async def shoot(page: Page, name: str) -> None:
    """Each role's main page at desktop and phone width, when asked for."""
    if not SHOTS:
        return
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.screenshot(path=str(Path(SHOTS) / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)


async def test_a_wrong_password_is_refused_and_a_region_the_web_does_not_serve_too(
    browser: Browser, suite: Suite, seeded: Seeded
) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    async with screenshot_on_failure(page, "signin-refused"):
        await page.goto(suite.web + "/")
        await page.fill("input[name=login]", seeded.employee.email)
        await page.fill("input[name=password]", "not-the-password")
        await page.click("button[type=submit]")
        await expect(page.locator("#login-error")).to_be_visible()
        assert not page.url.startswith(suite.web)
        # plaju's employee is a real account of the provider, but this web serves marelan only.
        plaju = login("plaju", "employee")
        await page.fill("input[name=login]", plaju.email)
        await page.fill("input[name=password]", plaju.password)
        await page.click("button[type=submit]")
        await page.wait_for_url(re.compile(re.escape(suite.web) + ".*"))
        await expect(page.locator("h1")).to_have_text(re.compile("Sign-in refused|Masuk ditolak"))
        await page.goto(suite.web + "/me/progress")
        assert not page.url.startswith(suite.web)  # still signed out: back at the provider
    await context.close()


async def test_an_employee_reports_progress_and_it_appears_on_the_supervisors_page_without_a_reload(
    browser: Browser, suite: Suite, seeded: Seeded
) -> None:
    boss_context = await browser.new_context(viewport=DESKTOP)
    boss = await sign_in(boss_context, suite, seeded.supervisor, "/team")
    me_context = await browser.new_context(viewport=PHONE)
    me = await sign_in(me_context, suite, seeded.employee, "/me/progress")
    async with screenshot_on_failure(boss, "team-live"), screenshot_on_failure(me, "employee-progress"):
        await expect(boss.locator("#team-table")).to_contain_text(seeded.employee.name)
        row = boss.locator("#team-table tr", has_text=seeded.employee.name)
        await expect(row).not_to_contain_text("73")
        await shoot(boss, "supervisor-team")

        await me.fill("#value_iki-1", "73")
        await me.fill("#evidence_iki-1", "https://arsip.marelan.example.id/laporan-juni.pdf")
        await me.fill("#note", "Laporan bulan Juni")
        await me.click("form[action='/me/progress'] button[type=submit]")
        await expect(me.locator("p.notice")).to_be_visible()
        await expect(me.locator("ul.reports")).to_contain_text("73")
        assert await me.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await shoot(me, "employee-progress")

        # The supervisor's page was not reloaded: HTMX polls the table.
        await expect(row).to_contain_text("73", timeout=25_000)
    await me_context.close()
    await boss_context.close()


async def test_a_rejected_report_comes_back_with_the_problem_beside_the_field_and_what_was_typed(
    browser: Browser, suite: Suite, seeded: Seeded
) -> None:
    context = await browser.new_context(viewport=PHONE)
    me = await sign_in(context, suite, seeded.employee, "/me/progress")
    async with screenshot_on_failure(me, "employee-progress-rejected"):
        await me.fill("#value_iki-1", "-5")
        await me.fill("#note", "angka salah ketik")
        await me.click("form[action='/me/progress'] button[type=submit]")
        await expect(me.locator(".error-summary")).to_be_visible()
        await expect(me.locator("#value_iki-1")).to_have_value("-5")
        await expect(me.locator("#note")).to_have_value("angka salah ketik")
        await expect(me.locator("#value_iki-1-error")).to_contain_text("negative")
    await context.close()


async def test_a_supervisor_approves_a_plan_and_rates_a_team_member(
    browser: Browser, suite: Suite, seeded: Seeded
) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    boss = await sign_in(context, suite, seeded.supervisor, f"/team/{seeded.pending.nip}")
    async with screenshot_on_failure(boss, "supervisor-approve"):
        await expect(boss.locator("h1")).to_have_text(seeded.pending.name)
        await boss.click("button[value=approve]")
        await expect(boss.locator("p.notice")).to_be_visible()
        await expect(boss.locator("#plan-h")).to_contain_text(re.compile("Approved|Disetujui"))

        await boss.click(f"a[href^='/rate/{seeded.pending.nip}']")
        ratings = boss.locator("fieldset.rating")
        for i in range(await ratings.count()):
            await ratings.nth(i).locator("label", has_text="4").click()
        await boss.fill("#comment", "Kinerja baik dan konsisten")
        await boss.click("form[action^='/rate/'] button[type=submit]")
        await expect(boss.locator("p.notice")).to_be_visible()
        assert boss.url.startswith(f"{suite.web}/team/{seeded.pending.nip}")
    await context.close()
    # The feedback service holds the approval and the supervisor's assessment.
    async with httpx.AsyncClient(base_url=suite.url("feedback")) as api:
        token = suite.token("hr_admin")
        plan = await api.get(
            f"/regions/marelan/cycles/{seeded.plan.cycle_id}/plans/{seeded.pending.nip}", headers=token
        )
        assert plan.json()["status"] == "approved"


async def test_a_citizen_sends_the_form_on_a_phone_without_an_account(
    browser: Browser, suite: Suite, seeded: Seeded
) -> None:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    async with screenshot_on_failure(page, "citizen"):
        await page.goto(f"{suite.web}/c/marelan/dinkes?desk=loket-2")
        await expect(page.locator("h1")).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await shoot(page, "citizen-form")
        ratings = page.locator("fieldset.rating")
        assert await ratings.count() > 0
        for i in range(await ratings.count()):
            await ratings.nth(i).locator("label", has_text="5").tap()
        await page.fill("#comment", "Pelayanan cepat dan ramah")
        await page.click("form button[type=submit]")
        await page.wait_for_url(re.compile(r".*/thanks$"))
        await expect(page.locator("h1")).to_be_visible()
        await shoot(page, "citizen-thanks")
    await context.close()


async def test_hr_closes_the_cycle_and_sees_the_curve_and_the_talent_9_box(
    browser: Browser, suite: Suite, seeded: Seeded
) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    hr = await sign_in(context, suite, seeded.hr, f"/hr/cycles/{seeded.plan.cycle_id}")
    async with screenshot_on_failure(hr, "hr-close"):
        await shoot(hr, "hr-cycle")
        for unit, predicate in (("dinkes", "Baik"), ("disdik", "Istimewa"), ("setda", "Baik")):
            await hr.select_option(f"#unit_{unit}", predicate)
        await hr.click("form[action$='/close'] button[type=submit]")
        await expect(hr.locator("h2", has_text=re.compile("Reopen|Buka kembali"))).to_be_visible()

        await hr.goto(f"{suite.web}/hr/cycles/{seeded.plan.cycle_id}/units/dinkes")
        await hr.select_option("#nip", seeded.employee.nip)
        await hr.select_option("#level", "tinggi")
        await hr.click("form[action$='/potentials'] button[type=submit]")
        # Scoring finalises the unit and career places the employee once both have the events.
        box = hr.locator(".ninebox .box", has_text=seeded.employee.name)
        allowed = hr.locator("ul.allowed li")
        for _ in range(45):
            if await box.count() and await allowed.count():
                break
            await hr.wait_for_timeout(2000)
            await hr.reload()
        await expect(hr.locator("dl.bars")).to_be_visible()
        await expect(allowed.first).to_be_visible()
        await expect(box).to_be_visible()
        await shoot(hr, "hr-unit")
    await context.close()
