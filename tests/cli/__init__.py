"""Tests through the real `pulumi` CLI, built from its Go modules by `make cli`."""
