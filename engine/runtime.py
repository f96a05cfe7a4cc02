"""Process-wide numeric settings the programs (CLI, lab window) apply at start.

Measured on the 2-core machines this project runs on (OpenBLAS 0.3.31): with its default two
threads, OpenBLAS makes our small matrix products 5–11× *slower* (an MLP (64, 64) epoch at batch
256: 57k vs 628k samples/s; a 200×200 boundary grid: 100 ms vs 21 ms), and in the lab the GUI
thread and the training thread each get a core of their own only when BLAS stays single-threaded.
So the programs run BLAS on one thread; the library itself changes nothing unless asked.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

__all__ = ["limit_blas_threads"]

_limiter = None


def limit_blas_threads(n: int = 1) -> None:
    """Run BLAS (OpenBLAS, MKL, …) on ``n`` threads for the rest of the process."""
    global _limiter
    _limiter = threadpool_limits(limits=n, user_api="blas")
