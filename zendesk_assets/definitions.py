"""The code location's entry point (`dagster dev -w workspace.yaml`)."""

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions()
