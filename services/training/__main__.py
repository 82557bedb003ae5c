"""``python -m services.training DB PROJECT JOB_ID``: run one queued training job (used by ``launch_process``)."""

import sys

from services.training.jobs import run_training_job
from workbench.errors import JobError

try:
    run_training_job(sys.argv[1], sys.argv[2], int(sys.argv[3]))
except JobError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
