"""Kernels for reports: the fork server, kernel supply and their temporary folders."""
