"""The one place the connection defaults live (README repeats them for people); no Dagster import."""

DEFAULT_CORE_RPM = 200  # Segment's default; Zendesk's Team plan allows 200 requests a minute
DEFAULT_INCREMENTAL_RPM = 10  # Zendesk's cap on incremental exports (30 with the High Volume add-on)
DEFAULT_PATIENCE_SECONDS = 60.0  # how long an account may keep failing before runs stop retrying
