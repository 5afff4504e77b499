"""Benchmarks of the PartnerAccount provider: API calls, cold start, scale and memory (`make bench`)."""
