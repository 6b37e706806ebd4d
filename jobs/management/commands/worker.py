"""Run a worker: the jobs of every queue, retries, lost jobs, periodic jobs.

    .venv/bin/python manage.py worker              # what `make run` starts
    .venv/bin/python manage.py worker --batch      # run what is due, then exit

Options are django_tasks_db's ``db_worker``'s (``--interval``, ``--max-tasks``,
``--worker-id`` ...); the queue defaults to every queue. See jobs/worker.py.
"""

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from jobs.worker import Worker


class Command(db_worker.Command):
    help = "Run background jobs (retries, lost jobs and periodic jobs included)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")

    def handle(
        self, *, verbosity, queue_name, exclude_queues, reload, batch, **options
    ):
        self.configure_logging(verbosity)
        worker = Worker(
            queue_names=queue_name.split(","),
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if reload and not batch:
            import os

            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
