"""Faults under load: ``python3 -m tests.soak --deliveries N`` (tests/soak/test_soak.py runs it short)."""
