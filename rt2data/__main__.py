"""``python -m rt2data``: the ``rt2data`` command (``rt2data.cli.main``), for when the script is not on PATH."""

from rt2data.cli.main import main

if __name__ == "__main__":
    main()
