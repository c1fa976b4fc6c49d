"""Helpers the browser tests share: watching the console, logging in through the real form."""

import re
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Locator, Page

from safeenough.storage.fixtures import DEMO_PASSWORD


@dataclass
class ConsoleWatch:
    """Console errors, page errors and CSP violations seen while a test ran."""

    problems: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        text = message.text
        for status in self.allowed_statuses:
            if f"status of {status}" in text:
                return
        self.problems.append(f"console {message.type}: {text}")

    def allow_status(self, status: int) -> None:
        """A page the test expects to answer with this HTTP status (the browser logs those)."""
        self.allowed_statuses.add(status)


CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def log_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def add_to_theos_map(page: Page, base_url: str, text: str, width: int) -> Locator:
    """As Ada, at a screen `width` px wide: open Theo's client map and add `text` as a strength; the
    entry, once it is on the map."""
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base_url, "ada")
    page.get_by_role("link", name=re.compile("^Theo")).click()
    page.get_by_role("link", name=re.compile("^Client map for Theo")).click()
    page.get_by_label("Domain").select_option(label="Strengths and resources")
    page.get_by_label("What you learned or wonder").fill(text)
    page.get_by_role("button", name="Add entry").click()
    return page.locator(".entry", has_text=text)
