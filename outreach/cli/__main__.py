"""``python -m outreach.cli``: the console script ``outreach``, without installing it."""

from outreach.cli import main

main()
