"""Accounts added as ``dg`` components: one folder per account, each with a ``defs.yaml``.

``dg scaffold defs zendesk_assets.component.ZendeskAccountComponent acme`` adds one; the code location
(``definitions.py``) loads them next to the accounts of the environment or the accounts file.
"""
