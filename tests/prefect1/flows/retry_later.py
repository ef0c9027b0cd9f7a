"""A task whose retry is more than 10 minutes away: the engine does not wait for it. It leaves the
task run Retrying (start_time = now + 11 min) and the flow run Running, and exits; an agent would
pick the run up again when the retry is due (get_runs_in_queue's "Running with a scheduled task
run" case). The tests read that Retrying state; nobody waits 11 minutes."""
import datetime

from prefect import Flow, task

from common import run_config, storage_for


@task(max_retries=1, retry_delay=datetime.timedelta(minutes=11))
def later():
    raise RuntimeError("fails now, retried in 11 minutes")


with Flow("prefect1-retry-later", storage=storage_for(__file__), run_config=run_config()) as flow:
    later()
