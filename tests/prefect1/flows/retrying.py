"""A task that fails on its first run and succeeds on its second: Running -> Failed -> Retrying ->
Running -> Success (the engine waits out the 2 s retry delay in the same process)."""
import datetime

import prefect
from prefect import Flow, task

from common import run_config, storage_for


@task(max_retries=2, retry_delay=datetime.timedelta(seconds=2))
def flaky():
    if prefect.context.get("task_run_count", 1) < 2:
        raise RuntimeError("first attempt fails on purpose")
    return "ok on attempt %d" % prefect.context.get("task_run_count")


with Flow("prefect1-retrying", storage=storage_for(__file__), run_config=run_config()) as flow:
    flaky()
