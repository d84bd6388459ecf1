from feedpub.cli import run_cli

run_cli()
