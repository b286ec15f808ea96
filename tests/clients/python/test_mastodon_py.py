"""Mastodon.py (a real third-party client library) logs in to Kith with the OAuth
authorization-code flow and reads and edits the account, and Kith's entities match the
Mastodon API schema."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonIllegalArgumentError, MastodonUnauthorizedError

from conftest import PASSWORD

REDIRECT = "http://127.0.0.1:9/callback"
SCOPES = ["read", "write", "follow"]


class FormReader(HTMLParser):
    """Collects the login form's action and fields, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")


def authorize_in_form(url: str, username: str, password: str) -> requests.Response:
    # One session, as one browser: the form's hidden token must match the cookie set with it.
    browser = requests.Session()
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text
    form = FormReader()
    form.feed(page.text)
    assert form.action == "/oauth/authorize"
    assert form.fields.get("csrf"), "the sign-in form carries its token"
    fields = {**form.fields, "username": username, "password": password, "decision": "approve"}
    # Posted where a browser would: relative to the page (Mastodon.py opens the page at the
    # instance's own name, which the cookie belongs to).
    return browser.post(urljoin(page.url, form.action), data=fields, allow_redirects=False, timeout=30)


def test_mastodon_py_logs_in_and_reads_credentials(kith, conformance):
    client_id, client_secret = Mastodon.create_app(
        "Kith test via Mastodon.py", scopes=SCOPES, redirect_uris=REDIRECT,
        website="https://app.example", api_base_url=kith.base)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=kith.base)
    url = api.auth_request_url(redirect_uris=REDIRECT, scopes=SCOPES, state="s1", allow_http=True)

    # A wrong password brings the form back and issues no code.
    wrong = authorize_in_form(url, "ana", "not the password")
    assert wrong.status_code == 401
    assert "Wrong username or password" in wrong.text

    res = authorize_in_form(url, "ana", PASSWORD)
    assert res.status_code == 302, res.text
    location = urlparse(res.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    token = api.log_in(code=query["code"][0], redirect_uri=REDIRECT, scopes=SCOPES, allow_http=True)
    assert token

    me = api.account_verify_credentials()
    assert me.username == "ana" and me.acct == "ana"
    assert me.url == f"http://{kith.domain}/@ana"

    updated = api.account_update_credentials(display_name="Ana via Mastodon.py", note="Birds & bees", locked=True)
    assert updated.display_name == "Ana via Mastodon.py"
    assert updated.locked is True
    again = api.account_verify_credentials()
    assert again.display_name == "Ana via Mastodon.py"
    assert again.source.note == "Birds & bees"

    looked_up = api.account_lookup("ana")
    assert str(looked_up.id) == str(me.id)
    assert api.app_verify_credentials().name == "Kith test via Mastodon.py"

    # Mastodon.py picked up our version from /api/v1/instance.
    assert api.retrieve_mastodon_version().startswith("4.")

    # The code was used up; a second exchange fails with invalid_grant and, as RFC 6749 §4.1.2
    # asks of a replayed code, revokes the token the code gave.
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        api.log_in(code=query["code"][0], redirect_uri=REDIRECT, scopes=SCOPES, allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()

    # A fresh login; revoking its token through the library ends it.
    url = api.auth_request_url(redirect_uris=REDIRECT, scopes=SCOPES, state="s2", allow_http=True)
    res = authorize_in_form(url, "ana", PASSWORD)
    assert res.status_code == 302, res.text
    code = parse_qs(urlparse(res.headers["Location"]).query)["code"][0]
    api.log_in(code=code, redirect_uri=REDIRECT, scopes=SCOPES, allow_http=True)
    assert api.account_verify_credentials().username == "ana"
    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


def test_entities_match_the_mastodon_schema(kith, conformance):
    token = kith.cli("admin", "token", "ana", "--scopes", "read write")
    auth = {"Authorization": f"Bearer {token}"}
    get = lambda path, **kw: requests.get(kith.base + path, timeout=30, **kw)  # noqa: E731

    me = get("/api/v1/accounts/verify_credentials", headers=auth).json()
    conformance(me, "CredentialAccount")
    conformance(get(f"/api/v1/accounts/{me['id']}").json(), "Account")
    conformance(get("/api/v1/instance").json(), "V1Instance")
    conformance(get("/api/v2/instance").json(), "Instance")
    app = requests.post(kith.base + "/api/v1/apps", timeout=30,
                        data={"client_name": "schema", "redirect_uris": REDIRECT, "scopes": "read"}).json()
    conformance(app, "CredentialApplication")
    token_res = requests.post(kith.base + "/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "read"}).json()
    conformance(token_res, "Token")
    app_auth = {"Authorization": f"Bearer {token_res['access_token']}"}
    conformance(get("/api/v1/apps/verify_credentials", headers=app_auth).json(), "Application")
    # Errors use Mastodon's shape.
    conformance(get("/api/v1/accounts/verify_credentials").json(), "Error")


def test_megalodon_style_detection_via_nodeinfo(kith):
    """Client libraries detect the server through NodeInfo; check what they read."""
    links = requests.get(kith.base + "/.well-known/nodeinfo", timeout=30).json()["links"]
    doc = requests.get(links[-1]["href"], timeout=30).json()
    assert doc["software"]["name"] == "kith"
    assert doc["metadata"]["upstream"]["name"] == "mastodon"
    assert doc["usage"]["users"]["total"] == 1
