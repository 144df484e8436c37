"""`python -m member_analytics <command>`: the same as `member-analytics <command>`."""

import sys

from member_analytics.cli import main

sys.exit(main())
