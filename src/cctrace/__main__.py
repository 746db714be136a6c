"""``python -m cctrace`` runs the command line."""

from cctrace.cli import main

main()
