"""The report factory: batches, workers, Dask, the manifest, fingerprints and index pages."""
