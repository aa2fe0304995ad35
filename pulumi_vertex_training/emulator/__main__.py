"""``python -m pulumi_vertex_training.emulator``: the ``vertex-local`` CLI."""

import sys

from pulumi_vertex_training.emulator.cli import main

sys.exit(main())
