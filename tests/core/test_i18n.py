"""The pages a person sees first speak English and Simplified Chinese, chosen by the browser's
Accept-Language or by the language cookie the language menu sets."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from tests.conftest import TenantInfo


def page(host: str, path: str, **extra: str) -> str:
    response = Client(HTTP_HOST=host).get(path, **extra)  # type: ignore[arg-type]
    assert response.status_code == 200
    return response.content.decode()


def test_signup_page_in_chinese_and_english() -> None:
    zh = page("localhost", "/signup/", HTTP_ACCEPT_LANGUAGE="zh-Hans,zh;q=0.9,en;q=0.5")
    assert '<html lang="zh-hans">' in zh
    assert "创建您的联络中心" in zh  # "Create your contact center"
    assert "公司名称" in zh and "工作邮箱" in zh and "密码" in zh
    assert "Create your contact center" not in zh

    en = page("localhost", "/signup/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="en">' in en
    assert "Create your contact center" in en and "Work email" in en
    assert "创建您的联络中心" not in en


def test_tenant_login_page_follows_the_language_cookie(tenant_a: TenantInfo) -> None:
    zh = page(tenant_a.host, "/login/", HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=zh-hans")
    assert f"登录 {tenant_a.tenant.name}" in zh  # "Sign in to <company>"
    assert "电子邮件" in zh and "密码" in zh
    assert "Sign in to" not in zh

    en = page(tenant_a.host, "/login/")  # no preference: the default language
    assert f"Sign in to {tenant_a.tenant.name}" in en
    assert "登录" not in en


def test_browser_chinese_variants_reach_simplified_chinese() -> None:
    # Browsers send zh-CN (or plain zh) far more often than zh-Hans.
    for header in ("zh-CN,zh;q=0.9", "zh"):
        assert "创建您的联络中心" in page("localhost", "/signup/", HTTP_ACCEPT_LANGUAGE=header), header
