"""`zendesk-assets check`: the sync's preflight alone, a ✓/✗ line per item per account.

What a user runs after setting the variables: seconds, at most three Zendesk requests per
account, nothing written to the warehouse. Every account is checked (a broken one does not hide
the next); the exit code is the first failure's (README lists them).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from zendesk_assets.cli.common import OK, account_option, ensure_instance_home, select
from zendesk_assets.cli.preflight import Item, account_items
from zendesk_assets.config import load_accounts

MARKS = {"ok": "✓", "fail": "✗", "warn": "!"}
ASCII_MARKS = {"ok": "ok", "fail": "FAIL", "warn": "warn"}


def _marks() -> dict[str, str]:
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return ASCII_MARKS
    return MARKS


def run(args: argparse.Namespace) -> int:
    accounts = select(load_accounts(), args.account)
    ensure_instance_home()  # the default state store lives there, as for `sync`
    marks = _marks()
    items: list[Item] = []
    for account in accounts:
        if not args.json:
            origin = account.base_url or f"https://{account.subdomain}.zendesk.com"
            print(f"{account.name} ({origin} → schema {account.schema_name})", flush=True)
        for item in account_items(account):
            items.append(item)
            if not args.json:
                print(f"  {marks[item.status]} {item.what:<18} {item.detail}", flush=True)
    failed = [i for i in items if i.failed]
    code = failed[0].code if failed else OK
    if args.json:
        out: dict[str, Any] = {"ok": not failed, "exit_code": code, "items": [
            {"account": i.account, "item": i.what, "status": i.status, "detail": i.detail} for i in items]}
        print(json.dumps(out, indent=2))
    elif failed:
        print(f"{len(failed)} of {len(accounts)} account(s) not ready; fix the ✗ lines and run `zendesk-assets check` again"
              if marks is MARKS else f"{len(failed)} account(s) not ready; fix the FAIL lines and run check again")
    else:
        print(f"ready: {len(accounts)} account(s) can sync (`zendesk-assets sync`)")
    return code


def add_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="validate configuration, Zendesk access, warehouse and state store (no sync)")
    account_option(p, json_output="the items")
    p.set_defaults(handler=run)
