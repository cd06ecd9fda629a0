from __future__ import annotations

import http.server
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import AgentProfile
from apps.inbox.models import Disposition
from apps.routing.models import Queue
from apps.widget.models import WidgetKey
from tests.conftest import PASSWORD, TenantInfo, WebServer, create_tenant
from tests.processes import free_port


@dataclass
class Shop:
    """A business's own web page, on another origin, with the widget snippet pasted in."""

    origin: str
    root: Path

    def page(self, name: str, snippet: str, extra: str = "") -> str:
        (self.root / name).write_text(
            "<!doctype html><html><head><title>Acme shop</title>"
            "<style>button{background:red!important} body{font-family:serif}</style></head>"
            f"<body><h1 id='shop'>Acme shop</h1><button id='buy'>Buy</button>{extra}{snippet}</body></html>"
        )
        return f"{self.origin}/{name}"


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    root = Path(tempfile.mkdtemp())
    port = free_port()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Shop(origin=f"http://127.0.0.1:{port}", root=root)
    server.shutdown()


@dataclass
class ContactCenter:
    info: TenantInfo
    key: WidgetKey
    queue: Queue
    agents: list[AgentProfile]

    def snippet(self, web: WebServer, token: str = "") -> str:
        attr = f' data-identity-token="{token}"' if token else ""
        return (
            f'<script src="http://{self.info.subdomain}.localhost:{web.port}/widget.js" '
            f'data-key="{self.key.public_key}"{attr} async></script>'
        )


def make_center(shop_origin: str, agents: int = 2) -> ContactCenter:
    info = create_tenant("cc", "Acme Support")
    connection.set_schema(info.schema_name)
    queue = Queue.objects.get(name="Support")
    queue.offer_timeout_seconds = 120
    queue.require_disposition = True
    queue.save()
    key = WidgetKey.objects.get()
    key.allowed_origins = [shop_origin]
    key.save()
    Disposition.objects.create(name="Solved")
    profiles = []
    for n in range(agents):
        user = User.objects.create_user(
            email=f"agent{n + 1}@{info.subdomain}.test",
            password=PASSWORD,
            full_name=["Alex Agent", "Bea Agent", "Cy Agent"][n],
            role="agent",
        )
        profile = ensure_agent_profile(user)
        queue.members.add(profile)
        profiles.append(profile)
    connection.set_schema_to_public()
    return ContactCenter(info=info, key=key, queue=queue, agents=profiles)


@pytest.fixture
def center(shop: Shop) -> ContactCenter:
    return make_center(shop.origin)


def desktop(
    browser: Any,
    web: WebServer,
    center: ContactCenter,
    n: int = 0,
    email: str = "",
    init_script: str = "",
    **context: Any,
) -> Any:
    """Agent n (or the user with this email) signed in on the desktop, in a new browser context
    (options such as `viewport`; `init_script` runs in every page before its own scripts)."""
    browser_context = browser.new_context(locale="en-US", **context)
    if init_script:
        browser_context.add_init_script(init_script)
    page = browser_context.new_page()
    page.set_default_timeout(15000)
    page.goto(web.url("/login/", subdomain=center.info.subdomain))
    page.fill("input[name=username]", email or f"agent{n}@{center.info.subdomain}.test")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(web.url("/desktop/", subdomain=center.info.subdomain))
    page.wait_for_selector("#live-status[data-state=live]")
    return page


def go_available(page: Any) -> Any:
    """Switch the desktop's presence to available and wait until the server confirmed it."""
    page.select_option("#presence", "available")
    expect(page.locator("#presence")).to_have_value("available")
    return page
