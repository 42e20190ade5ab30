"""Rendering one notebook into a report: execution, HTML and PDF export, branding."""
