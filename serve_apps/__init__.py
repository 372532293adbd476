"""Ray Serve applications of fas-ray (``serve run serve_apps/config.yaml``)."""
