"""One home for how alignkit writes things: money, escaping of typed text, report tables."""
