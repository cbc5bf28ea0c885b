"""``python -m imcbench``: the CLI; a Ctrl-C while it starts (imports) ends in one line, like one later."""

import sys

try:
    from imcbench.cli import main
except KeyboardInterrupt:
    sys.stderr.write("interrupted: while starting, nothing was done\n")
    sys.exit(130)

main()
