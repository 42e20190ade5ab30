"""``python -m alignkit`` runs the command-line interface."""

from alignkit.cli.app import main

main()
