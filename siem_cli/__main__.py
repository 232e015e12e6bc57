"""``python -m siem_cli``: the same as the ``siem`` command."""

import sys

from siem_cli.main import main

sys.exit(main())
