"""Three dependent tasks and a parameter: extract -> transform -> load, all Success. `load` keeps
its value as a PrefectResult (the value itself, JSON, in the state), the others as LocalResult
references. Every task logs a line; `load` publishes a markdown artifact."""
import prefect
from prefect import Flow, Parameter, task
from prefect.backend.artifacts import create_markdown_artifact
from prefect.engine.results import PrefectResult

from common import result, run_config, storage_for


@task
def extract(n):
    prefect.context.get("logger").info("extract: n=%s", n)
    return list(range(n))


@task
def transform(values):
    prefect.context.get("logger").info("transform: %d values", len(values))
    return [v * 10 for v in values]


@task(result=PrefectResult())
def load(values):
    total = sum(values)
    prefect.context.get("logger").info("load: total=%s", total)
    create_markdown_artifact(f"# Loaded\n\ntotal = {total}")
    return total


with Flow("prefect1-dependent", storage=storage_for(__file__), run_config=run_config(), result=result()) as flow:
    n = Parameter("n", default=4)
    load(transform(extract(n)))
