"""``python -m imcbench``: the CLI; a Ctrl-C while it starts (imports) exits quietly like one later."""

import sys

try:
    from imcbench.cli import main
except KeyboardInterrupt:
    sys.exit(130)

main()
