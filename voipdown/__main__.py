"""`python -m voipdown` runs the same CLI as the `voipdown` command."""

from voipdown.cli import main

main()
