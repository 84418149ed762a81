-- docker-compose.yaml: besides Dagster's own database, one for the sync's state store (rate budget,
-- OAuth tokens; never the warehouse) and one for the warehouse, unless WAREHOUSE_URL points elsewhere.
CREATE DATABASE zendesk_state;
CREATE DATABASE warehouse;
