"""``python -m inventory_gym_cli`` is the same as the ``inventory-gym`` command."""

import sys

from inventory_gym_cli.main import main

sys.exit(main())
