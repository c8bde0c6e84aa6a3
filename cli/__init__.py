"""The ``rt2data`` command line: click commands over the library and the pipelines, no logic of their own."""
