"""A mapped task over three items: one parent task run (Mapped) and three child task runs
(map_index 0, 1, 2), then a reduce."""
from prefect import Flow, task
from prefect.engine.results import PrefectResult

from common import run_config, storage_for


@task
def items():
    return [1, 2, 3]


@task
def double(x):
    return 2 * x


@task(result=PrefectResult())
def total(values):
    return sum(values)


with Flow("prefect1-mapped", storage=storage_for(__file__), run_config=run_config()) as flow:
    total(double.map(items()))
