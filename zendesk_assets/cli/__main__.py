from zendesk_assets.cli import main

main()
