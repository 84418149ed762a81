"""Built-in Zendesk Support emulator: the demo account and the peer of every integration test.

Deterministic generated accounts of any size served over real HTTP with Zendesk's pagination, export,
auth, rate-limit and failure semantics (what it models and how loosely: README.md here). The DEMO_* credentials
are emulator-only constants; they open nothing real.
"""

from zendesk_assets.emulator.app import create_app
from zendesk_assets.emulator.config import (
    COLLECTION_NAMES,
    DEMO_AGENT_EMAIL,
    DEMO_AGENT_OAUTH_TOKEN,
    DEMO_API_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_OAUTH_TOKEN,
    DEMO_SUBDOMAIN,
    EmulatorConfig,
    Fault,
)
from zendesk_assets.emulator.server import EmulatorServer
from zendesk_assets.emulator.state import Emulator

__all__ = [
    "COLLECTION_NAMES",
    "DEMO_AGENT_EMAIL",
    "DEMO_AGENT_OAUTH_TOKEN",
    "DEMO_API_TOKEN",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_EMAIL",
    "DEMO_OAUTH_TOKEN",
    "DEMO_SUBDOMAIN",
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "Fault",
    "create_app",
]
