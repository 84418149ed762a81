"""Bad input is refused early with a message that says what is wrong and what to do.

Contract: `ZendeskResource.get_client()` normalises the subdomain and rejects anything else before
any request; the configuration names exactly one auth method; the legacy API token
warns with Zendesk's 2027-04-30 cut-off; secrets never appear in reprs, strings or error messages.
"""

from __future__ import annotations

import pytest

from zendesk_assets.config import ConfigError, load_accounts
from zendesk_assets.zendesk import ZendeskConfigError, ZendeskResource, normalise_subdomain
from zendesk_assets.zendesk.resource import ZendeskApiTokenDeprecationWarning
from zendesk_assets.zendesk.settings import ApiToken, OAuthClientCredentials, OAuthToken, api_origin

SECRET = "s3cr3t-value-never-shown"


@pytest.mark.parametrize(
    "given",
    [
        "acme",
        "ACME",
        " acme ",
        "acme.zendesk.com",
        "https://acme.zendesk.com",
        "https://acme.zendesk.com/",
        "https://acme.zendesk.com/agent/tickets/5",
        "http://Acme.Zendesk.com/api/v2/tickets.json?page=2",
    ],
)
def test_subdomain_forms_normalise_to_the_first_label(given: str) -> None:
    assert normalise_subdomain(given) == "acme"


@pytest.mark.parametrize(
    "given",
    [
        "",
        "ab",  # too short
        "1acme",  # must start with a letter
        "acme_corp",  # underscore
        "support.acme.com",  # host-mapped brand domain, not the API host
        "evil.com/acme",
        "acme.zendesk.com.evil.com",
        "a.b.zendesk.com",
        "https://user:pw@acme.zendesk.com",
        "acme:8080",
        "x" * 64,
    ],
)
def test_bad_subdomains_are_refused_with_guidance(given: str) -> None:
    with pytest.raises(ZendeskConfigError, match=r"invalid Zendesk subdomain .*part before \.zendesk\.com"):
        normalise_subdomain(given)


def test_bad_subdomain_fails_in_get_client_before_any_request(tmp_path) -> None:
    res = ZendeskResource(subdomain="support.acme.com", auth=OAuthToken(token=SECRET), state_url=f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(ZendeskConfigError, match="Host-mapped brand domains"):
        res.get_client()


def test_missing_auth_names_the_three_options() -> None:
    with pytest.raises(ConfigError, match=r"no Zendesk credentials: set ZENDESK_CLIENT_ID and ZENDESK_CLIENT_SECRET"):
        load_accounts({"ZENDESK_SUBDOMAIN": "acme"})


def test_two_auth_methods_are_refused_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": SECRET, "ZENDESK_EMAIL": "a@acme.com",
           "ZENDESK_API_TOKEN": SECRET}
    with pytest.raises(ConfigError, match="exactly one way to log in, found ZENDESK_OAUTH_TOKEN and "
                       "ZENDESK_EMAIL/ZENDESK_API_TOKEN") as info:
        load_accounts(env)
    assert SECRET not in str(info.value)


def test_client_id_without_secret_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match="ZENDESK_CLIENT_SECRET is missing"):
        load_accounts({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_CLIENT_ID": "zd-client"})


def test_email_without_api_token_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match="ZENDESK_API_TOKEN is missing"):
        load_accounts({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "admin@acme.com"})


def test_email_with_token_suffix_is_explained(tmp_path) -> None:
    res = ZendeskResource(subdomain="acme", auth=ApiToken(email="admin/token", api_token=SECRET), state_url=f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(ZendeskConfigError, match="is not an email address") as info:
        res.get_client()
    assert SECRET not in str(info.value)


def test_legacy_api_token_warns_with_the_cutoff_date(tmp_path) -> None:
    res = ZendeskResource(subdomain="acme", auth=ApiToken(email="admin@acme.com", api_token=SECRET), state_url=f"sqlite:///{tmp_path}/s.db")
    with pytest.warns(ZendeskApiTokenDeprecationWarning, match="2027-04-30"):
        client = res.get_client()
    assert client.auth.method == "api_token"
    assert SECRET not in repr(client.auth)
    client.close()


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:1/x/y", "127.0.0.1:8080", "ftp://host"])
def test_base_url_must_be_an_origin(base_url: str, tmp_path) -> None:
    res = ZendeskResource(subdomain="acme", auth=OAuthToken(token=SECRET), base_url=base_url,
                          state_url=f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(ZendeskConfigError, match="base_url must be a scheme and host only"):
        res.get_client()


@pytest.mark.parametrize(
    ("base_url", "allow", "expected"),
    [
        (None, False, "https://acme.zendesk.com"),
        ("https://acme.zendesk.com/", False, "https://acme.zendesk.com"),
        ("http://127.0.0.1:8123", False, "http://127.0.0.1:8123"),
        ("http://localhost:8123/api/v2", False, "http://localhost:8123"),
        ("http://[::1]:8123", False, "http://[::1]:8123"),
        ("https://zendesk-proxy.corp.example", True, "https://zendesk-proxy.corp.example"),
        ("http://203.0.113.5:8080", True, "plain http to 203.0.113.5 would send the credentials in clear text"),
        ("http://attacker.example", True, "plain http to attacker.example would send the credentials in clear text"),
        ("http://acme.zendesk.com", False, "plain http to acme.zendesk.com would send the credentials in clear text"),
        ("https://acme.zendesk.com.evil.example", True, "acme.zendesk.com.evil.example only looks like a Zendesk host"),
        ("https://acme-zendesk.com", True, "acme-zendesk.com only looks like a Zendesk host"),
        ("https://globex.zendesk.com", True, "globex.zendesk.com is not the API host of subdomain 'acme'"),
        ("https://acme.zendesk.com:8443", True, "acme.zendesk.com is not the API host of subdomain 'acme'"),
        ("https://proxy.example", False, "proxy.example is not Zendesk (acme.zendesk.com) and the credentials would "
                                         "be sent there; set ZENDESK_ALLOW_CUSTOM_BASE_URL=1"),
        ("https://u:p@acme.zendesk.com", True, "must not carry a user or password"),
    ],
)
def test_where_credentials_may_be_sent(base_url: str | None, allow: bool, expected: str) -> None:
    if expected.startswith(("https://", "http://")):
        origin, warning = api_origin("acme", base_url, allow)
        assert origin == expected
        assert (warning is not None) == (allow and "corp" in expected)
        return
    with pytest.raises(ConfigError) as raised:
        api_origin("acme", base_url, allow)
    assert str(raised.value).startswith(expected)


def test_custom_base_url_warns_once_per_process(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    res = ZendeskResource(subdomain="acme", auth=OAuthToken(token=SECRET), base_url="https://zd-proxy.corp.example",
                          allow_custom_base_url=True, state_url=f"sqlite:///{tmp_path}/s.db")
    with caplog.at_level("WARNING"):
        for _ in range(3):
            res.get_client().close()
    warned = [r.getMessage() for r in caplog.records if "zd-proxy" in r.getMessage()]
    assert warned == ["zendesk[acme]: the credentials of subdomain 'acme' are sent to https://zd-proxy.corp.example, "
                      "not to acme.zendesk.com (allowed by ZENDESK_ALLOW_CUSTOM_BASE_URL / allow_custom_base_url)"]
    refused = res.model_copy(update={"allow_custom_base_url": False})
    with pytest.raises(ZendeskConfigError, match=r"zendesk\[acme\]: base_url zd-proxy\.corp\.example is not Zendesk"):
        refused.get_client()


def test_base_url_api_root_is_origin_plus_api_v2(tmp_path) -> None:
    res = ZendeskResource(subdomain="acme", auth=OAuthToken(token=SECRET), base_url="http://127.0.0.1:8080/api/v2/",
                          state_url=f"sqlite:///{tmp_path}/s.db")
    with res.get_client() as client:
        assert client.url_for("/users/me") == "http://127.0.0.1:8080/api/v2/users/me"
        assert client.url_for("api/v2/groups") == "http://127.0.0.1:8080/api/v2/groups"


def test_export_page_size_over_zendesk_cap_is_refused(tmp_path) -> None:
    res = ZendeskResource(subdomain="acme", auth=OAuthToken(token=SECRET), export_page_size=5000,
                          state_url=f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(ZendeskConfigError, match="at most 1000"):
        res.get_client()


def test_secrets_never_in_repr_or_str(tmp_path) -> None:
    res = ZendeskResource(subdomain="acme", auth=OAuthClientCredentials(client_id="zd-client", client_secret=SECRET),
                          state_url=f"sqlite:///{tmp_path}/s.db")
    assert SECRET not in repr(res)
    assert SECRET not in str(res)
    with res.get_client() as client:
        assert SECRET not in repr(client)
        assert SECRET not in repr(client.auth)
        assert SECRET not in repr(client.__dict__)
    bearer = ZendeskResource(subdomain="acme", auth=OAuthToken(token=SECRET), state_url=f"sqlite:///{tmp_path}/s.db")
    assert SECRET not in repr(bearer) and SECRET not in str(bearer)


def test_resource_fields_all_have_descriptions() -> None:
    for name, info in ZendeskResource.model_fields.items():
        assert info.description, f"{name} has no description"


def test_default_state_store_location(tmp_path, monkeypatch) -> None:
    from zendesk_assets.zendesk.state import default_state_url

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert default_state_url() == f"sqlite:///{tmp_path / 'home' / 'zendesk_state.sqlite'}"
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.chdir(tmp_path)
    assert default_state_url() == f"sqlite:///{tmp_path / '.zendesk_state' / 'zendesk_state.sqlite'}"


def test_state_file_is_private(tmp_path) -> None:
    from zendesk_assets.zendesk.state import StateStore

    StateStore(f"sqlite:///{tmp_path}/private/state.sqlite")
    assert (tmp_path / "private" / "state.sqlite").stat().st_mode & 0o077 == 0
