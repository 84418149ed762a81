"""Which Zendesk accounts to sync: one typed model that the environment and the accounts file share.

The environment-variable names and the accounts-file keys are an interface (README lists them):
one account from ``ZENDESK_*`` variables, or several from the YAML file named by
``ZENDESK_ACCOUNTS_FILE``. Both are turned into the same flat mapping of accounts-file keys and
validated by ``AccountConfig``, so a value means the same thing and fails with the same sentence
wherever it is written; messages name the variable or the file, account and key.

Secrets (tokens, client secrets, URLs with a password) never sit in the model as values: they are
``dg.EnvVar`` references, which Dagster stores by name and resolves when a run starts. An inline
secret in the accounts file is refused with the ``*_env`` form to write instead.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import dagster as dg
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy.engine import make_url

from zendesk_assets.collections import COLLECTIONS, OPT_IN, SWEEPS, Sweep
from zendesk_assets.warehouse.naming import sanitize_identifier
from zendesk_assets.zendesk.errors import ConfigError
from zendesk_assets.zendesk.settings import (
    DEFAULT_CORE_RPM,
    DEFAULT_INCREMENTAL_RPM,
    DEFAULT_PATIENCE_SECONDS,
    ApiToken,
    OAuthClientCredentials,
    OAuthToken,
    ZendeskAuth,
    api_origin,
    env_name,
    normalise_subdomain,
)

__all__ = ["AccountConfig", "ConfigError", "account_from_entry", "load_accounts", "secret_references"]

DEFAULT_SCHEMA = "zendesk"
# A fixed default: partition start dates must never move with today's date.
DEFAULT_START_DATE = date(2020, 1, 1)
DEFAULT_HISTORY_MONTHS = 12
# Lists without a change feed (skips, ratings, activities, audit logs) are re-read whole this often.
DEFAULT_REREAD_HOURS = 24
# How tickets and users are read: the incremental exports, or the lists that replace them (README).
EXPORT_MODES = ("export", "list")
# Which tickets the ticket and ticket-event exports return. Zendesk's own default leaves out tickets an
# AI agent handled alone; a warehouse wants every ticket.
SUPPORT_TYPE_SCOPES = ("all", "agent", "ai_agent")
DEFAULT_SUPPORT_TYPE_SCOPE = "all"
# Schemas that belong to the database itself (PostgreSQL also reserves every name starting pg_).
RESERVED_SCHEMAS = frozenset({"public", "pg_catalog", "information_schema"})

# accounts-file key -> the environment variable that sets it for the single-account setup
ENV_VARIABLES: dict[str, str] = {
    "subdomain": "ZENDESK_SUBDOMAIN",
    "schema": "ZENDESK_SCHEMA",
    "start_date": "ZENDESK_START_DATE",
    "history_months": "ZENDESK_HISTORY_MONTHS",
    "reread_hours": "ZENDESK_REREAD_HOURS",
    "export_mode": "ZENDESK_EXPORT_MODE",
    "core_rpm": "ZENDESK_CORE_RPM",
    "incremental_rpm": "ZENDESK_INCREMENTAL_RPM",
    "patience_seconds": "ZENDESK_PATIENCE_SECONDS",
    "opt_in": "ZENDESK_OPT_IN",
    "base_url": "ZENDESK_BASE_URL",
    "allow_custom_base_url": "ZENDESK_ALLOW_CUSTOM_BASE_URL",
    "email": "ZENDESK_EMAIL",
    "support_type_scope": "ZENDESK_SUPPORT_TYPE_SCOPE",
    "owners": "ZENDESK_OWNERS",
    "tags": "ZENDESK_TAGS",
}
# secret-bearing keys given by reference: accounts-file key -> the single-account variable
ENV_REFERENCES: dict[str, str] = {
    "oauth_token_env": "ZENDESK_OAUTH_TOKEN",
    "client_id_env": "ZENDESK_CLIENT_ID",
    "client_secret_env": "ZENDESK_CLIENT_SECRET",
    "api_token_env": "ZENDESK_API_TOKEN",
    "warehouse_url_env": "WAREHOUSE_URL",
    "state_url_env": "ZENDESK_STATE_URL",
}
# values that are secrets whatever they hold: refused inline, with the key to use instead
INLINE_SECRETS: dict[str, str] = {
    "oauth_token": "oauth_token_env",
    "client_secret": "client_secret_env",
    "api_token": "api_token_env",
}
FILE_KEYS = frozenset({"name", "client_id", "warehouse_url", "state_url", *ENV_VARIABLES, *ENV_REFERENCES})
# accounts-file key -> AccountConfig field, where the names differ
FIELD_OF_KEY = {
    "schema": "schema_name",
    "core_rpm": "core_requests_per_minute",
    "incremental_rpm": "incremental_requests_per_minute",
}
KEY_OF_FIELD = {v: k for k, v in FIELD_OF_KEY.items()}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TEAM = re.compile(r"team:[A-Za-z0-9_.-]+")
_TAG_KEY = re.compile(r"[A-Za-z0-9_./-]{1,63}")
_TAG_VALUE = re.compile(r"[A-Za-z0-9_.-]{0,63}")


def _keep(value: Any) -> Any:
    """Accept a plain string or a ``dg.EnvVar`` unchanged (pydantic would turn an EnvVar into a str)."""
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"must be text, got {type(value).__name__}")


Setting = Annotated[str, PlainValidator(_keep)]


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _whole(value: Any, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"must be a whole number of {unit} above 0, got {value!r}")
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"must be a whole number of {unit} above 0, got {value!r}")
    if int(text) <= 0:
        raise ValueError(f"must be a whole number of {unit} above 0, got {int(text)}")
    return int(text)


class AccountConfig(BaseModel):
    """One Zendesk account: where it lives, how to authenticate, where its tables go, how much to sync.

    Field names match ``ZendeskResource``'s, so the resource is built from the model as it is
    (``zendesk_fields``); the accounts-file keys that differ are in ``FIELD_OF_KEY``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str  # asset-key prefix, group name and resource-key suffix
    subdomain: str
    schema_name: str = DEFAULT_SCHEMA
    auth: ZendeskAuth | None = None
    allow_custom_base_url: bool = False  # before base_url: its validator reads it
    base_url: str | None = None
    core_requests_per_minute: int = DEFAULT_CORE_RPM
    incremental_requests_per_minute: int = DEFAULT_INCREMENTAL_RPM
    patience_seconds: float = DEFAULT_PATIENCE_SECONDS
    state_url: Setting | None = None
    warehouse_url: Setting | None = None
    start_date: date = DEFAULT_START_DATE
    history_months: int = DEFAULT_HISTORY_MONTHS
    reread_hours: int = DEFAULT_REREAD_HOURS  # hours of Zendesk time between full re-reads of the lists
    export_mode: str = "export"  # "list": read the export sweeps (tickets, users, organizations, ticket events) from the lists
    opt_in: frozenset[str] = frozenset()
    support_type_scope: str = DEFAULT_SUPPORT_TYPE_SCOPE
    owners: tuple[str, ...] = ()  # Dagster asset owners: emails or team:<name>
    tags: dict[str, str] = Field(default_factory=dict)  # extra Dagster tags on every asset

    def enabled(self, table: str) -> bool:
        """Opt-in collections are synced by the schedule only when configured."""
        return table not in OPT_IN or table in self.opt_in

    def sweep_params(self, sweep: Sweep) -> dict[str, str]:
        """The query parameters this account's settings add to every request of a sweep."""
        return {name: str(getattr(self, name)) for name in sweep.account_params}

    def narrowed(self, sweep: Sweep) -> dict[str, str]:
        """The sweep's parameters this account sets away from their defaults (its stored windows are
        kept apart: see sweeps.state_key)."""
        fields = type(self).model_fields
        return {k: v for k, v in self.sweep_params(sweep).items() if v != str(fields[k].default)}

    def zendesk_fields(self, names: Sequence[str]) -> dict[str, Any]:
        """The settings a resource with these field names takes, as they are (EnvVars stay references)."""
        return {name: getattr(self, name) for name in names if name in type(self).model_fields}

    @field_validator("name", "schema_name", mode="before")
    @classmethod
    def _identifier(cls, value: Any) -> str:
        name = sanitize_identifier(str(value))
        if not name:
            raise ValueError(f"{str(value)!r} has no letters or digits; use something like 'zendesk_acme'")
        if name in RESERVED_SCHEMAS or name.startswith("pg_"):
            raise ValueError(f"{name!r} is reserved by the database; use your own, e.g. 'zendesk' or 'zendesk_acme'")
        return name

    @field_validator("subdomain", mode="before")
    @classmethod
    def _subdomain(cls, value: Any) -> str:
        return normalise_subdomain(str(value))

    @field_validator("base_url", mode="before")
    @classmethod
    def _base_url(cls, value: Any, info: ValidationInfo) -> str | None:
        if value is None or str(value).strip() == "":
            return None
        subdomain = info.data.get("subdomain")
        try:
            if subdomain is None:  # its own error is reported; still refuse what is never allowed
                return api_origin("-", str(value), allow_custom=True)[0]
            return api_origin(subdomain, str(value), bool(info.data.get("allow_custom_base_url")))[0]
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("core_requests_per_minute", "incremental_requests_per_minute", mode="before")
    @classmethod
    def _rpm(cls, value: Any) -> int:
        return _whole(value, "requests per minute")

    @field_validator("history_months", mode="before")
    @classmethod
    def _months(cls, value: Any) -> int:
        return _whole(value, "months")

    @field_validator("export_mode", mode="before")
    @classmethod
    def _export_mode(cls, value: Any) -> str:
        mode = str(value).strip().lower()
        if mode not in EXPORT_MODES:
            raise ValueError(f"must be 'export' (the default) or 'list', got {value!r}")
        return mode

    @field_validator("reread_hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> int:
        return _whole(value, "hours")

    @field_validator("patience_seconds", mode="before")
    @classmethod
    def _patience(cls, value: Any) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number of seconds above 0, got {value!r}") from None
        if not seconds > 0:
            raise ValueError(f"must be a number of seconds above 0, got {value!r}")
        return seconds

    @field_validator("start_date", mode="before")
    @classmethod
    def _start_date(cls, value: Any) -> date:
        if isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError as exc:
                reason = "" if "Invalid isoformat" in str(exc) else f" ({exc})"
                raise ValueError(f"must be a real date like 2020-01-01, got {str(value)!r}{reason}") from None
        if day > date.today():
            raise ValueError(
                f"{day.isoformat()} is in the future, so nothing would be synced; use the first day you want "
                "history from, e.g. 2020-01-01"
            )
        return day

    @field_validator("support_type_scope", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> str:
        scope = str(value).strip().lower()
        if scope not in SUPPORT_TYPE_SCOPES:
            raise ValueError(
                f"must be one of {', '.join(SUPPORT_TYPE_SCOPES)} (all: every ticket; agent: only tickets human "
                f"agents worked; ai_agent: only tickets an AI agent handled alone), got {str(value)!r}"
                f"{did_you_mean(scope, SUPPORT_TYPE_SCOPES)}"
            )
        return scope

    @field_validator("opt_in", mode="before")
    @classmethod
    def _opt_in(cls, value: Any) -> frozenset[str]:
        if value is None or value == "":
            return frozenset()
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple | set | frozenset):
            raise ValueError(f"must be a list of collections, got {value!r}")
        chosen = frozenset(str(i).strip() for i in items if str(i).strip())
        problems = []
        for name in sorted(chosen - OPT_IN):
            if name in COLLECTIONS:
                problems.append(f"{name} is always synced (only {', '.join(sorted(OPT_IN))} are opt-in)")
            else:
                problems.append(f"{name!r} is not a collection{did_you_mean(name, sorted(OPT_IN))}")
        if problems:
            raise ValueError("; ".join(problems))
        return chosen

    @field_validator("owners", mode="before")
    @classmethod
    def _owners(cls, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError(f"must be a list of owners, got {value!r}")
        owners = tuple(str(i).strip() for i in items if str(i).strip())
        for owner in owners:
            if not (_EMAIL.fullmatch(owner) or _TEAM.fullmatch(owner)):
                raise ValueError(f"{owner!r} is not an owner: write an email address or team:<name>, e.g. team:support-data")
        return owners

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> dict[str, str]:
        if isinstance(value, str):
            pairs = [p.partition("=") for p in value.split(",") if p.strip()]
            if any(not sep for _, sep, _ in pairs):
                raise ValueError(f"must be key=value pairs separated by commas, got {value!r}")
            value = {k.strip(): v.strip() for k, _, v in pairs}
        if not isinstance(value, dict):
            raise ValueError(f"must be a mapping of tag names to values, got {value!r}")
        tags = {str(k): str(v) for k, v in value.items()}
        for key, text in tags.items():
            if not (_TAG_KEY.fullmatch(key) and _TAG_VALUE.fullmatch(text)):
                raise ValueError(
                    f"{key}={text} is not a Dagster tag: names may hold letters, digits, '-', '_', '.' and '/', "
                    "values letters, digits, '-', '_' and '.', each at most 63 characters"
                )
        return tags

    @field_validator("warehouse_url", "state_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or env_name(value) is not None:
            return value
        try:
            url = make_url(value)
        except Exception:
            raise ValueError("is not a SQLAlchemy URL (e.g. postgresql+psycopg://user@host/db)") from None
        if url.password:
            raise ValueError("holds a password; secrets never go in the configuration itself")
        return value


# A sweep's account_params name settings of this model (the registry cannot import it).
_unknown = {p for s in SWEEPS.values() for p in s.account_params} - set(AccountConfig.model_fields)
assert not _unknown, f"sweeps send account settings AccountConfig lacks: {sorted(_unknown)}"


# --------------------------------------------------------------------------- reading the two sources


class _Source:
    """Where one account's settings came from, so every message names the right thing."""

    def __init__(self, where: str, labels: Mapping[str, str]) -> None:
        self.where = where  # "" for the environment, "accounts.yaml: account acme: " for the file
        self.labels = labels  # accounts-file key -> what the user wrote (a variable or a key)

    def label(self, key: str) -> str:
        return f"{self.where}{self.labels.get(key, key)}"


def _auth(entry: Mapping[str, Any], source: _Source, problems: list[str]) -> ZendeskAuth | None:
    """The one auth method an entry configures (refer to secrets by environment variable)."""

    def ref(key: str) -> dg.EnvVar:
        return dg.EnvVar(str(entry[key]))

    methods: list[tuple[str, ZendeskAuth | None]] = []
    if entry.get("oauth_token_env"):
        methods.append((source.label("oauth_token_env"), OAuthToken(token=ref("oauth_token_env"))))
    client_id: str | None = ref("client_id_env") if entry.get("client_id_env") else entry.get("client_id")
    if client_id or entry.get("client_secret_env"):
        label = f"{source.label('client_id_env')}/{source.label('client_secret_env')}"
        if not client_id:
            problems.append(f"{source.label('client_secret_env')} is set but the OAuth client id is missing: "
                            f"set {source.label('client_id_env')} too")
            methods.append((label, None))
        elif not entry.get("client_secret_env"):
            problems.append(f"the OAuth client id is set but {source.label('client_secret_env')} is missing: "
                            "set it to the client's secret")
            methods.append((label, None))
        else:
            credentials = OAuthClientCredentials(client_id=client_id, client_secret=ref("client_secret_env"))
            methods.append((label, credentials))
    if entry.get("email") or entry.get("api_token_env"):
        label = f"{source.label('email')}/{source.label('api_token_env')}"
        if not (entry.get("email") and entry.get("api_token_env")):
            missing = source.label("api_token_env" if entry.get("email") else "email")
            problems.append(f"the legacy API-token login needs both {label}; {missing} is missing")
            methods.append((label, None))
        else:
            methods.append((label, ApiToken(email=str(entry["email"]), api_token=ref("api_token_env"))))
    if len(methods) > 1:
        problems.append(
            f"{source.where}configure exactly one way to log in, found {' and '.join(m for m, _ in methods)}; "
            "remove all but one"
        )
        return None
    if not methods:
        problems.append(
            f"{source.where}no Zendesk credentials: set {source.label('client_id_env')} and "
            f"{source.label('client_secret_env')} (OAuth client, recommended), or {source.label('oauth_token_env')}, "
            f"or (legacy) {source.label('email')} and {source.label('api_token_env')}"
        )
        return None
    return methods[0][1]


def _account(entry: Mapping[str, Any], source: _Source, problems: list[str]) -> AccountConfig | None:
    """Validate one flat entry (accounts-file keys) into the model; collect one line per problem."""
    bad = [key for key in ENV_REFERENCES if entry.get(key) and not _ENV_NAME.match(str(entry[key]))]
    for key in bad:
        # never echo it: a pasted secret is the usual reason it is not a variable name
        problems.append(f"{source.label(key)} must name an environment variable (like ACME_ZENDESK_TOKEN), "
                        "not hold the value itself")
    if bad:
        return None
    auth = _auth(entry, source, problems)
    data: dict[str, Any] = {FIELD_OF_KEY.get(k, k): v for k, v in entry.items()
                            if k in ENV_VARIABLES or k in ("name", "warehouse_url", "state_url")}
    data.pop("email", None)
    for key in ("warehouse_url", "state_url"):
        if entry.get(f"{key}_env"):
            data[key] = dg.EnvVar(str(entry[f"{key}_env"]))
    named = "name" in data
    data.setdefault("name", data.get("schema_name", DEFAULT_SCHEMA))
    data["auth"] = auth
    try:
        account = AccountConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            if field == "name" and not named:
                continue  # the name defaults to the schema: its error is the schema's, said once
            key = KEY_OF_FIELD.get(field, field)
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{source.label(key)}: {message}")
        return None
    return account if auth is not None else None


def account_from_env(env: Mapping[str, str]) -> AccountConfig:
    """The single-account configuration from ``ZENDESK_*`` variables (README lists them)."""
    if not env.get("ZENDESK_SUBDOMAIN"):
        raise ConfigError(
            "no Zendesk account is configured: set ZENDESK_SUBDOMAIN and credentials (ZENDESK_CLIENT_ID + "
            "ZENDESK_CLIENT_SECRET, or ZENDESK_OAUTH_TOKEN), or point ZENDESK_ACCOUNTS_FILE at an accounts file "
            "(README: 'Point it at your Zendesk account')"
        )
    entry: dict[str, Any] = {key: env[var] for key, var in ENV_VARIABLES.items() if env.get(var)}
    entry.update({key: var for key, var in ENV_REFERENCES.items() if env.get(var)})
    entry.setdefault("schema", DEFAULT_SCHEMA)
    source = _Source("", {**ENV_VARIABLES, **ENV_REFERENCES, "name": "ZENDESK_SCHEMA"})
    problems: list[str] = []
    account = _account(entry, source, problems)
    if problems or account is None:
        raise ConfigError("\n".join(dict.fromkeys(problems)))
    return account


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: ``start_date: 2020-02-30`` reaches our validator as text."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"ZENDESK_ACCOUNTS_FILE points at {path}, which does not exist") from None
    except OSError as exc:
        raise ConfigError(f"ZENDESK_ACCOUNTS_FILE points at {path}, which cannot be read ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}") from None


def accounts_from_yaml(path: Path, env: Mapping[str, str]) -> list[AccountConfig]:
    """Several accounts: a YAML list under ``accounts:``; secrets as ``*_env`` variable names."""
    doc = _read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list) or not doc["accounts"]:
        extra = [k for k in doc if k != "accounts"] if isinstance(doc, dict) else []
        hint = f" (found '{extra[0]}'{did_you_mean(str(extra[0]), ['accounts'])})" if extra else ""
        raise ConfigError(f"{path} must hold a non-empty list under 'accounts:'{hint}; see README 'Several accounts'")
    problems = [f"{path}: unknown top-level key '{k}'{did_you_mean(str(k), ['accounts'])}" for k in doc if k != "accounts"]
    accounts: list[AccountConfig] = []
    for i, entry in enumerate(doc["accounts"], start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: account #{i} must be a mapping of keys (subdomain:, schema:, ...)")
            continue
        label = entry.get("name") or entry.get("schema") or entry.get("subdomain") or f"#{i}"
        account = _entry_account(entry, f"{path}: account {label}: ", env, problems)
        if account is not None:
            accounts.append(account)
    schemas = [a.schema_name for a in accounts]
    names = [a.name for a in accounts]
    shared = {v for v in schemas if schemas.count(v) > 1}
    for dup in sorted(shared):
        problems.append(f"{path}: two accounts share the schema '{dup}'; give each its own 'schema' (and 'name')")
    for dup in sorted({v for v in names if names.count(v) > 1} - shared):  # a name defaults to the schema
        problems.append(f"{path}: two accounts share the name '{dup}'; give each its own 'name'")
    if problems:
        raise ConfigError("\n".join(dict.fromkeys(problems)))
    return accounts


def _entry_account(
    entry: Mapping[str, Any], where: str, env: Mapping[str, str], problems: list[str]
) -> AccountConfig | None:
    """One account in accounts-file keys (an accounts-file entry, or a component's attributes)."""
    if not entry.get("subdomain"):
        problems.append(f"{where}'subdomain' is missing (e.g. subdomain: acme for https://acme.zendesk.com)")
        return None
    before = len(problems)
    for key in entry:
        if key in INLINE_SECRETS:
            problems.append(
                f"{where}{key} is written inline; secrets never go in the accounts file: put it in an "
                f"environment variable and write `{INLINE_SECRETS[key]}: ACME_ZENDESK_{key.upper()}`"
            )
        elif key in ("warehouse_url", "state_url") and _has_password(entry[key]):
            problems.append(
                f"{where}{key} holds a password; secrets never go in the accounts file: put the URL in an "
                f"environment variable and write `{key}_env: ACME_{key.upper()}`"
            )
        elif key not in FILE_KEYS:
            problems.append(f"{where}unknown key '{key}'{did_you_mean(str(key), sorted(FILE_KEYS | set(INLINE_SECRETS)))}")
    if len(problems) > before:
        return None
    entry = dict(entry)
    entry.setdefault("schema", f"zendesk_{entry['subdomain']}" if "." not in str(entry["subdomain"]) else DEFAULT_SCHEMA)
    for key, var in (("warehouse_url_env", "WAREHOUSE_URL"), ("state_url_env", "ZENDESK_STATE_URL")):
        plain = key.removesuffix("_env")
        if not entry.get(key) and not entry.get(plain) and env.get(var):
            entry[key] = var  # the deployment-wide setting
    return _account(entry, _Source(where, {}), problems)


def account_from_entry(entry: Mapping[str, Any], where: str, env: Mapping[str, str] | None = None) -> AccountConfig:
    """One account from accounts-file keys, validated as the accounts file is (``component.py``)."""
    problems: list[str] = []
    account = _entry_account(entry, where, os.environ if env is None else env, problems)
    if problems or account is None:
        raise ConfigError("\n".join(dict.fromkeys(problems)))
    return account


def _has_password(value: Any) -> bool:
    try:
        return bool(make_url(str(value)).password)
    except Exception:
        return False


def secret_references(account: AccountConfig) -> dict[str, str]:
    """Every secret-bearing setting of an account and the environment variable it is read from.

    The model holds no secret value: each of these is a `dg.EnvVar`, so Dagster's run storage, event
    log and UI see only the variable names (a secret scan can take the values from here).
    """
    found: dict[str, str] = {}
    settings: dict[str, object] = {"warehouse_url": account.warehouse_url, "state_url": account.state_url}
    if account.auth is not None:
        settings.update({f"auth.{k}": v for k, v in account.auth.__dict__.items() if k != "kind"})
    for key, value in settings.items():
        name = env_name(value)
        if name is not None:
            found[key] = name
    return found


def load_accounts(env: Mapping[str, str] | None = None) -> list[AccountConfig]:
    """Every configured account: from ``ZENDESK_ACCOUNTS_FILE``, or one from ``ZENDESK_*`` variables."""
    env = os.environ if env is None else env
    if env.get("ZENDESK_ACCOUNTS_FILE"):
        return accounts_from_yaml(Path(env["ZENDESK_ACCOUNTS_FILE"]), env)
    return [account_from_env(env)]
