"""`python -m desktop_app`: the same entry point as the `copilot-insight` command."""

import sys

from desktop_app.app import main

sys.exit(main())
