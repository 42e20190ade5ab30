"""Imported once by the process that forks batch workers (never by the batch itself).

Every worker needs nbclient, nbconvert and jupyter_client; importing them
here, in the multiprocessing fork server, means each forked worker starts with
them loaded instead of paying ~1.5 s of imports. The exporter is built and
used once here too, so a worker's first page costs what the next ones do.
"""

import contextlib
import gc


def _load() -> None:
    from alignkit.factory.worker import skip_slow_iri_checker

    skip_slow_iri_checker()

    import jupyter_client.manager  # noqa: F401
    import nbclient  # noqa: F401
    import nbconvert  # noqa: F401
    import nbformat  # noqa: F401
    import papermill.parameterize  # noqa: F401

    import alignkit.report.execution  # noqa: F401
    import alignkit.report.html

    # each worker's renderer takes this warm exporter; if it fails, the worker builds its own
    # and reports the error with its first page
    with contextlib.suppress(Exception):
        alignkit.report.html.warm_exporter()


gc.disable()  # imports make many objects and little garbage: collecting meanwhile only costs
try:
    _load()
finally:
    gc.enable()
    gc.collect()
    gc.freeze()  # what every worker inherits stays out of its collections (and is not copied)
