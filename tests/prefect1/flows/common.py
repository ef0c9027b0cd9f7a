"""What every test flow shares: its storage (the flow's own file, so the agent loads it from the
checkout, no pickles), its run config (the test labels) and its result (LocalResult under the
process's PREFECT__HOME_DIR)."""
import os

from prefect.run_configs import LocalRun
from prefect.storage import Local

# The label the test agent polls with (`prefect agent local start -l prefect1-test`).
TEST_LABEL = os.environ.get("PREFECT1_TEST_LABEL", "prefect1-test")


def storage_for(path):
    # add_default_labels=False: no hostname label, so the flow's labels are exactly ours.
    return Local(path=os.path.abspath(path), stored_as_script=True, add_default_labels=False)


def run_config():
    return LocalRun(labels=[TEST_LABEL])
