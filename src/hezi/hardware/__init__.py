"""Hardware: what compute the box has (CPU, memory, disks, GPUs, NPUs), live samples of its load, and whether a
model deployment fits — and where to place it.

It imports only `hezi.db`, `hezi.settings` and `hezi.errors`; never serving or the HTTP layer.
"""
