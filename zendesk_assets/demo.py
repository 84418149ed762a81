"""`make demo` / `make dev`: the built-in emulator's demo account, synced or browsed in the UI.

The emulator plays a Zendesk account on 127.0.0.1 with emulator-only credentials; this module
starts it, points the ``ZENDESK_*`` configuration at it and then either runs
``zendesk-assets sync`` into ``./zendesk_demo.duckdb`` (``make demo``) or ``dagster dev``
(``make dev``). Budgets are raised because the emulator is local and unlimited; against a real
account keep Zendesk's defaults (README).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN
from zendesk_assets.private import private_dir

DEMO_TICKETS = 3000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_anchor(home: Path) -> int:
    """The demo account's clock anchor, fixed on first use: `make demo` and `make dev` later serve
    the same generated account, so the export cursors stored by one stay valid for the other."""
    path = home / "zendesk_demo_anchor"
    if not path.exists():
        private_dir(home)
        path.write_text(str(int(time.time()) // 3600 * 3600))
    return int(path.read_text().strip())


def start_emulator(port: int, tickets: int, anchor: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "zendesk_assets.emulator", "--port", str(port), "--seed", "7"]
    proc = subprocess.Popen(
        [*command, "--tickets", str(tickets), "--anchor", str(anchor)], stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the emulator exited with status {proc.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/users/me", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the emulator did not answer within 60 s")


def demo_env(port: int, warehouse: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ZENDESK_SUBDOMAIN=DEMO_SUBDOMAIN,
        ZENDESK_BASE_URL=f"http://127.0.0.1:{port}",
        ZENDESK_OAUTH_TOKEN=DEMO_OAUTH_TOKEN,
        ZENDESK_OPT_IN="ticket_comments,audit_logs",
        ZENDESK_START_DATE="2024-01-01",
        ZENDESK_CORE_RPM="20000",
        ZENDESK_INCREMENTAL_RPM="20000",
        WAREHOUSE_URL=f"duckdb:///{warehouse}",
    )
    for name in (
        "ZENDESK_ACCOUNTS_FILE",
        "ZENDESK_CLIENT_ID",
        "ZENDESK_CLIENT_SECRET",
        "ZENDESK_EMAIL",
        "ZENDESK_API_TOKEN",
    ):
        env.pop(name, None)
    return env


def port_arg(text: str) -> int:
    """A TCP port from the command line or PORT/EMULATOR_PORT (0: any free one)."""
    if not text.strip().isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535 (0: any free one), got {text!r}")
    return int(text)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run_dagster_dev(bin_dir: Path, env: dict[str, str], port: int = 3000) -> int:
    """`dagster dev` from inside DAGSTER_HOME, so Dagster does not warn about the repository's own
    dagster.yaml in the working directory (the Makefile copies it into DAGSTER_HOME).

    It runs in its own process group: stopping it must reach the webserver, daemon and code
    servers it starts, and a background `dagster dev` ignores a lone SIGINT.
    """
    home = Path(env.get("DAGSTER_HOME") or ".dagster_home").resolve()
    private_dir(home)
    workspace = Path("workspace.yaml").resolve()
    proc = subprocess.Popen(
        [str(bin_dir / "dagster"), "dev", "-w", str(workspace), "-p", str(port)],
        cwd=home,
        env=env,
        start_new_session=True,
    )

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # Dagster's services shut down on SIGTERM but may linger; give them a grace period.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return 130


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--dev", action="store_true", help="run `dagster dev` against the emulator instead of syncing"
    )
    parser.add_argument("--tickets", type=int, default=DEMO_TICKETS)
    parser.add_argument(
        "--port", type=port_arg, default=os.environ.get("PORT") or "3000", help="the Dagster UI's port (env PORT)"
    )
    parser.add_argument(
        "--emulator-port",
        type=port_arg,
        default=os.environ.get("EMULATOR_PORT") or "0",
        help="the emulator's port (env EMULATOR_PORT; default any free one)",
    )
    args = parser.parse_args()
    busy = [(name, p) for name, p in (("PORT", args.port), ("EMULATOR_PORT", args.emulator_port)) if p and not port_free(p)]
    for name, p in busy:
        print(f"zendesk-assets demo: port {p} is in use; choose another, e.g. make dev {name}={p + 1}", file=sys.stderr)
    if busy:
        sys.exit(2)
    bin_dir = Path(sys.executable).parent
    warehouse = Path("zendesk_demo.duckdb").resolve()
    port = args.emulator_port or free_port()
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").resolve()
    emulator = start_emulator(port, args.tickets, demo_anchor(home))
    print(f"Zendesk emulator (demo account, {args.tickets} tickets) on http://127.0.0.1:{port}")
    env = demo_env(port, warehouse)
    try:
        if args.dev:
            print(f"Dagster UI: http://127.0.0.1:{args.port} (Ctrl-C stops it and the emulator)")
            status = run_dagster_dev(bin_dir, env, args.port)
        else:
            status = subprocess.call([str(bin_dir / "zendesk-assets"), "sync"], env=env)
            if status == 0:
                print(f"\nWarehouse: {warehouse} (DuckDB; schema 'zendesk')")
                print(
                    f'  query it:  {bin_dir / "python"} -c "import duckdb; '
                    f"print(duckdb.connect('{warehouse}').sql('select status, count(*) from zendesk.tickets group by 1'))\""
                )
                print(
                    "  browse it: make dev   (then open http://127.0.0.1:3000: assets, checks, runs, schedule)"
                )
    except KeyboardInterrupt:
        status = 130
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    sys.exit(status)


if __name__ == "__main__":
    main()
