"""Re-derive the fitted polynomial coefficients in jaxacts and compare them with the source.

Four kernels use a polynomial fitted by Chebyshev interpolation (mpmath's ``chebyfit``):

- ``smooth._Q32`` / ``_Q64``: erfc's rational form for gelu (erf form),
  ``Phi(-a) e^{a^2/2} = Q(u) / (c + a)``, ``u = (c - a) / (c + a)``, ``c = 181/64``, on
  ``[u(40) - 0.001, 1]`` (``|x|`` is clamped at 40);
- ``math._TANH_R32`` / ``_TANH_R64``: ``tanh z = z + z w R(w)``, ``w = z^2 <= 0.625^2``;
- ``smooth._ERF32`` / ``_ERF64``: ``erf(s) = s P(s^2)`` for ``s < 1.25``;
- ``math._LOG1P32`` / ``_LOG1P64``: ``log1p(e) = e P(e)`` for ``e`` in ``[0, 1]`` (softplus,
  log_sigmoid).

For each it prints the maximum relative error of the float64-rounded coefficients (evaluated
in mpmath on 2001 points) and whether the coefficients in the source are the ones the fit
gives.  ``--print`` also prints the tuples, to paste after a change of interval or degree.

    python benchmarks/fit_polynomials.py            # about 10 s
"""

from __future__ import annotations

import argparse

import mpmath as mp

from jaxacts._src import math as jm
from jaxacts._src import smooth


def _qc_erfc(u):
    c = mp.mpf(181) / 64
    a = c * (1 - u) / (1 + u)
    return mp.erfc(a / mp.sqrt(2)) / 2 * mp.exp(a * a / 2) * (c + a)


def _tanh_r(w):
    z = mp.sqrt(w)
    return (mp.tanh(z) / z - 1) / w


def _erf_p(w):
    z = mp.sqrt(w)
    return mp.erf(z) / z


def _log1p_p(w):
    return mp.log1p(w) / w if w else mp.mpf(1)


def _cases():
    c = mp.mpf(181) / 64
    u40 = (c - 40) / (c + 40)
    tiny = mp.mpf(1e-30)
    return [
        ("smooth._Q32/_Q64 (gelu erfc)", _qc_erfc, (u40 - mp.mpf("0.001"), mp.mpf(1)),
         (14, 30), (smooth._Q32, smooth._Q64), 60),
        ("math._TANH_R32/_R64 (tanh)", _tanh_r, (tiny, mp.mpf(0.625) ** 2), (6, 12),
         (jm._TANH_R32, jm._TANH_R64), 80),
        ("smooth._ERF32/_ERF64 (serf's erf)", _erf_p, (tiny, mp.mpf(1.25) ** 2), (8, 17),
         (smooth._ERF32, smooth._ERF64), 60),
        ("math._LOG1P32/_LOG1P64 (softplus's log1p)", _log1p_p, (mp.mpf(0), mp.mpf(1)),
         (10, 21), (jm._LOG1P32, jm._LOG1P64), 60),
    ]


def _max_rel_error(fn, coeffs, interval) -> mp.mpf:
    worst = mp.mpf(0)
    for w in mp.linspace(interval[0], interval[1], 2001):
        acc = mp.mpf(coeffs[-1])
        for c in reversed(coeffs[:-1]):
            acc = acc * w + mp.mpf(c)
        worst = max(worst, abs(acc / fn(w) - 1))
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--print", action="store_true", help="print the fitted tuples")
    args = ap.parse_args()
    stale = 0
    for label, fn, interval, terms, source, dps in _cases():
        mp.mp.dps = dps
        for n, have in zip(terms, source, strict=True):
            poly = mp.chebyfit(fn, list(interval), n)
            coeffs = tuple(float(c) for c in reversed(poly))
            same = coeffs == tuple(have)
            stale += not same
            err = _max_rel_error(fn, coeffs, interval)
            print(f"{label}, {n} terms: max relative error {mp.nstr(err, 3)}; "
                  f"{'matches the source' if same else 'DIFFERS from the source'}")
            if args.print:
                print(coeffs)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
