"""The anonymity threshold: how many respondents a group needs before it is shown.

The threshold is only where the rules start: which answers may be published,
and in which figures, so that no subtraction singles anyone out, is decided by
:mod:`alignkit.analysis.disclosure`. Kept apart from it (it needs pandas) so that code
which only checks a threshold, such as the batch planner, stays light.
"""

from __future__ import annotations

from numbers import Integral

from alignkit.exceptions import AlignkitError

__all__ = ["DEFAULT_THRESHOLD", "MIN_THRESHOLD", "check_threshold"]

DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 3


def check_threshold(threshold: int) -> int:
    """Return the threshold if allowed (an integer of at least 3), else raise."""
    if isinstance(threshold, bool) or not isinstance(threshold, Integral):
        raise AlignkitError(f"the anonymity threshold must be a whole number, not {threshold!r}")
    if threshold < MIN_THRESHOLD:
        raise AlignkitError(
            f"the anonymity threshold must be at least {MIN_THRESHOLD} (got {threshold}); "
            "smaller groups would expose individual answers"
        )
    return int(threshold)
