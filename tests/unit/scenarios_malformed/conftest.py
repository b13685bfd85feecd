"""These YAML files are malformed on purpose: tests load them, pytest must not collect them."""

collect_ignore_glob = ["*.yaml", "*.yml"]
