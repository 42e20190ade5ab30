"""Imported once by the process that forks batch workers (never by the batch itself).

Every worker needs nbclient, nbconvert and jupyter_client; importing them
here, in the multiprocessing fork server, means each forked worker starts with
them loaded instead of paying ~1.5 s of imports. The exporter is built and
used once here too, so a worker's first page costs what the next ones do.
"""

import contextlib

from alignkit.factory.worker import skip_slow_iri_checker

skip_slow_iri_checker()

import jupyter_client.manager  # noqa: E402, F401
import nbclient  # noqa: E402, F401
import nbconvert  # noqa: E402, F401
import nbformat  # noqa: E402, F401
import papermill.parameterize  # noqa: E402, F401

import alignkit.report.execution  # noqa: E402, F401
import alignkit.report.html  # noqa: E402

# each worker's renderer takes this warm exporter; if it fails, the worker builds its own
# and reports the error with its first page
with contextlib.suppress(Exception):
    alignkit.report.html.warm_exporter()
