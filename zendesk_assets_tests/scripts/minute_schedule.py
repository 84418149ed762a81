"""The code location as the product builds it, with two test-only changes: the schedule ticks every
minute instead of every three hours (tests watch the real daemon tick), and each run executes its
steps in one process (a step per process costs seconds of start-up on a busy CI machine)."""

import dagster as dg

import zendesk_assets.schedules as schedules
from zendesk_assets.config import load_accounts
from zendesk_assets.definitions import build_definitions

schedules.CRON = "* * * * *"


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(build_definitions(load_accounts()), dg.Definitions(executor=dg.in_process_executor))
