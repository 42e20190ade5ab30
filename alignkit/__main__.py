"""``python -m alignkit`` runs the command-line interface."""

from alignkit.cli import main

main()
