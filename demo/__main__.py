"""`python -m demo`: run the offline main job (see demo/job.py)."""

from __future__ import annotations

import sys

from demo.job import main

if __name__ == "__main__":
    sys.exit(main())
