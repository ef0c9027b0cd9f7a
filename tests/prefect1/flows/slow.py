"""A long task, to be cancelled while it runs: it logs a line a second for up to 10 minutes."""
import time

import prefect
from prefect import Flow, task

from common import run_config, storage_for


@task
def long_task():
    logger = prefect.context.get("logger")
    for i in range(600):
        logger.info("still working (%d s)", i)
        time.sleep(1)
    return "finished without being cancelled"


@task
def after_long(value):
    return value


with Flow("prefect1-slow", storage=storage_for(__file__), run_config=run_config()) as flow:
    after_long(long_task())
