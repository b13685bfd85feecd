"""fate-e2e: end-to-end test and verification harness for FATE on Kubernetes."""

__version__ = "0.1.0"
