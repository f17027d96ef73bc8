"""`python -m bench.load`: a realistic mixed-vendor load against a real pipeline, then reconciliation.

model.py decides what to send (deterministic for a seed) and what the answer and storage should
be; sites.py registers the generator's sites; send.py sends at a fixed rate; observe.py samples
consumer lag and process memory; reconcile.py compares ClickHouse with the generator's truth;
run.py ties them together with optional faults.
"""
