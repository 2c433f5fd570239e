"""`python -m voipdown` runs the same CLI as the `voipdown` command."""

from voipdown.cli import main

if __name__ == "__main__":  # not again in a helper process started by spawn
    main()
