"""zendesk_assets: a self-hosted Zendesk Support -> warehouse sync, as a Dagster code location.

The data's path: Zendesk API -> ``zendesk/`` (client, auth, rate limits, pagination) -> ``sweeps``
(lazy page streams routed per table) -> ``warehouse/`` (typed tables, monotonic upsert, checkpoints,
written by each sweep's multi-asset) -> your warehouse. ``collections`` is the registry that drives all of it.
"""

__version__ = "0.1.0"
