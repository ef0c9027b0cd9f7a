"""A failing task and its downstream task: the run ends Failed, `explode` Failed, `after` TriggerFailed."""
from prefect import Flow, task

from common import run_config, storage_for


@task
def explode():
    raise ValueError("this task fails on purpose")


@task
def after(value):
    return value


with Flow("prefect1-failing", storage=storage_for(__file__), run_config=run_config()) as flow:
    after(explode())
