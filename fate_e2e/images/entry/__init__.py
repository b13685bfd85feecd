"""Entry scripts baked into the images (run-flow in Python, the services in sh)."""
