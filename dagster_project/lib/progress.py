"""A Dagster logger that prints one line per step (start, success, failure) to stderr.

`omni build` runs the job with this logger instead of the full console log; the UI keeps every event.
"""

import logging
import sys
import time

from dagster import InitLoggerContext, logger


class StepProgressHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        if event is None or step is None:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            print(f"  ... {step}", file=sys.stderr, flush=True)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            took = time.perf_counter() - self.started.get(step, time.perf_counter())
            word = "ok  " if kind == "STEP_SUCCESS" else "FAIL"
            print(f"  {word} {step} ({took:.1f}s)", file=sys.stderr, flush=True)


@logger(description="One line per step on stderr (used by `omni build`).")
def step_progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    log = logging.Logger("omni.progress", level=logging.DEBUG)
    log.addHandler(StepProgressHandler())
    return log
