"""Band powers of RR series, for many windows at once, in numpy alone. Pure.

The estimate is the one ``docs/markers.md`` defines (and that scipy's ``CubicSpline`` and
``welch`` computed before): the RR series is interpolated at 4 Hz with a not-a-knot cubic
spline through the beat times, its mean is removed, and a Welch periodogram (Hann window of
min(300 s, series), 50 % overlap, each segment's mean removed, 300 points/Hz) is integrated
over the VLF, LF and HF bands with the trapezoid rule. This module computes the same numbers
(to floating-point rounding) without importing scipy (1.8 s of start-up for two functions), and
for a batch of windows in one pass, so an analysis of hours pays numpy's per-call overhead
once per batch rather than once per window:

* the spline slopes of every window come from one tridiagonal solve of the windows' systems
  placed one after the other (cyclic reduction, stable here because every row is diagonally
  dominant after the not-a-knot end rows are reduced);
* the 4 Hz grids of all windows are evaluated in one vectorised pass, and their periodograms
  come from one ``numpy.fft.rfft`` of a 2-D array.

A series too long for one pass (a week's summary) is evaluated in blocks: the spline's slopes
in blocks that overlap by ``_SLOPE_MARGIN`` knots (the influence of a knot on a slope decays by
at least half per knot, so the cut changes nothing at double precision), the Welch segments in
batches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kindbreak.signal.scratch import Scratch

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

INTERPOLATION_HZ = 4.0
SPECTRUM_POINTS_PER_HZ = 300
WELCH_SEGMENT_S = 300.0
MIN_FREQUENCY_WINDOW_S = 120.0
BANDS_HZ = {"vlf": (0.0, 0.04), "lf": (0.04, 0.15), "hf": (0.15, 0.4)}

_SEGMENT = int(WELCH_SEGMENT_S * INTERPOLATION_HZ)  # 1200 samples
_NFFT_MIN = int(SPECTRUM_POINTS_PER_HZ * INTERPOLATION_HZ)  # 1200 points
#: Knots a block of a long series' spline reaches past its ends (decay <= 2^-64).
_SLOPE_MARGIN = 64
#: Windows whose periodograms are computed in one pass; grid samples of one long series.
_WINDOWS_PER_BATCH = 128
_GRID_BLOCK = 1 << 17
_LONG_GRID_BLOCK = 1 << 15
#: Blocks of a long series whose splines' systems are solved together (one row each).
_LONG_BLOCKS_SOLVED_TOGETHER = 2


def solve_tridiagonal(
    sub: FloatArray,
    diag: FloatArray,
    sup: FloatArray,
    rhs: FloatArray,
    scratch: Scratch | None = None,
) -> FloatArray:
    """Solve ``sub[i] x[i-1] + diag[i] x[i] + sup[i] x[i+1] = rhs[i]`` by cyclic reduction,
    for one system (1-D arrays) or one per row (2-D arrays).

    ``sub[..., 0]`` and ``sup[..., -1]`` are ignored. Needs diagonal dominance (no pivoting),
    which every system here has. A row padded at its end with identity rows (``diag`` 1, the
    rest 0) gets bit-for-bit the solution it gets alone, so a window's numbers do not depend
    on the other windows of its batch. The solution is ``scratch``'s (a view of one of its
    arrays) when one is given.
    """
    one = diag.ndim == 1
    a, b, c, d = (np.atleast_2d(np.asarray(v, dtype=np.float64)) for v in (sub, diag, sup, rhs))
    a = a.copy()
    c = c.copy()
    a[:, 0] = 0.0
    c[:, -1] = 0.0
    x = _cyclic_reduction(a, b, c, d, scratch or Scratch())
    return x[0] if one else x


def _cyclic_reduction(
    a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray, scratch: Scratch, level: int = 0
) -> FloatArray:
    """Each level eliminates the odd rows, solves the even ones (the next level) and puts the
    odd ones back; every array of a level is ``scratch``'s."""
    rows, n = b.shape
    if n == 1:
        x1: FloatArray = np.divide(d, b, out=scratch.array(f"cr{level}x", (rows, 1)))
        return x1
    ne, no = (n + 1) // 2, n // 2

    def work(name: str, width: int) -> FloatArray:
        return scratch.array(f"cr{level}{name}", (rows, width))

    ae, be, ce, de = a[:, 0::2], b[:, 0::2], c[:, 0::2], d[:, 0::2]
    ao, bo, co, do = a[:, 1::2], b[:, 1::2], c[:, 1::2], d[:, 1::2]
    # Even row 2k loses its neighbours 2k-1 (odd k-1) and 2k+1 (odd k, when there is one).
    alpha = np.divide(ae[:, 1:], bo[:, : ne - 1], out=work("alpha", ne - 1))
    gamma = np.divide(ce[:, :no], bo, out=work("gamma", no))
    t_e, t_o = work("te", ne - 1), work("to", no)
    b2 = work("b", ne)
    np.copyto(b2, be)
    np.subtract(b2[:, 1:], np.multiply(alpha, co[:, : ne - 1], out=t_e), out=b2[:, 1:])
    np.subtract(b2[:, :no], np.multiply(gamma, ao, out=t_o), out=b2[:, :no])
    d2 = work("d", ne)
    np.copyto(d2, de)
    np.subtract(d2[:, 1:], np.multiply(alpha, do[:, : ne - 1], out=t_e), out=d2[:, 1:])
    np.subtract(d2[:, :no], np.multiply(gamma, do, out=t_o), out=d2[:, :no])
    a2 = work("a", ne)
    a2[:, 0] = 0.0
    np.negative(np.multiply(alpha, ao[:, : ne - 1], out=a2[:, 1:]), out=a2[:, 1:])
    c2 = work("c", ne)
    c2[:, no:] = 0.0
    np.negative(np.multiply(gamma, co, out=c2[:, :no]), out=c2[:, :no])
    xe = _cyclic_reduction(a2, b2, c2, d2, scratch, level + 1)
    x = work("x", n)
    x[:, 0::2] = xe
    right = work("right", no)  # odd k's right neighbour, even k + 1 (none for the last row)
    right[:, : ne - 1] = xe[:, 1:]
    right[:, ne - 1 :] = 0.0
    odd = np.subtract(do, np.multiply(ao, xe[:, :no], out=t_o), out=work("odd", no))
    np.subtract(odd, np.multiply(co, right, out=t_o), out=odd)
    np.divide(odd, bo, out=x[:, 1::2])
    return x


def _spline_slopes(
    x: FloatArray, y: FloatArray, n: IntArray, scratch: Scratch | None = None
) -> FloatArray:
    """Slopes of the not-a-knot cubic spline through each row's first ``n`` knots (>= 4;
    rows padded on the right). The not-a-knot end rows are folded into the first and last
    inner rows, which makes every row of the system diagonally dominant."""
    scratch = scratch or Scratch()
    rows, width = x.shape
    r = np.arange(rows)
    col = np.arange(width)
    real = col[None, :] < n[:, None]
    dx = np.subtract(x[:, 1:], x[:, :-1], out=scratch.array("dx", (rows, width - 1)))
    np.copyto(dx, 1.0, where=~real[:, 1:])
    m = np.subtract(y[:, 1:], y[:, :-1], out=scratch.array("m", (rows, width - 1)))
    m /= dx
    # Inner rows i: dx[i] s[i-1] + 2 (dx[i-1] + dx[i]) s[i] + dx[i-1] s[i+1]
    #               = 3 (dx[i] m[i-1] + dx[i-1] m[i]); identity rows at the ends.
    sub, diag = scratch.array("sub", (rows, width)), scratch.array("diag", (rows, width))
    sup, rhs = scratch.array("sup", (rows, width)), scratch.array("rhs", (rows, width))
    sub[:, 1:-1] = dx[:, 1:]
    np.multiply(np.add(dx[:, :-1], dx[:, 1:], out=diag[:, 1:-1]), 2.0, out=diag[:, 1:-1])
    sup[:, 1:-1] = dx[:, :-1]
    terms = scratch.array("terms", (rows, width - 2))
    np.multiply(dx[:, 1:], m[:, :-1], out=rhs[:, 1:-1])
    rhs[:, 1:-1] += np.multiply(dx[:, :-1], m[:, 1:], out=terms)
    rhs[:, 1:-1] *= 3.0
    outer = (col[None, :] < 1) | (col[None, :] > n[:, None] - 2)
    np.copyto(sub, 0.0, where=outer)
    np.copyto(diag, 1.0, where=outer)
    np.copyto(sup, 0.0, where=outer)
    np.copyto(rhs, 0.0, where=outer)
    # First inner row (knot 1) minus the not-a-knot row dx1 s0 + (dx0 + dx1) s1 = b0.
    dx0, dx1, m0, m1 = dx[:, 0], dx[:, 1], m[:, 0], m[:, 1]
    dsum = dx0 + dx1
    b0 = ((dx0 + 2.0 * dsum) * dx1 * m0 + dx0**2 * m1) / dsum
    sub[:, 1] = 0.0
    diag[:, 1] -= dsum
    rhs[:, 1] -= b0
    # Last inner row (knot n-2) minus the row (dxa + dxb) s[n-2] + dxa s[n-1] = bl.
    la = n - 2
    dxa, dxb, ma, mb = dx[r, la - 1], dx[r, la], m[r, la - 1], m[r, la]
    dsum_l = dxa + dxb
    bl = (dxb**2 * ma + (2.0 * dsum_l + dxb) * dxa * mb) / dsum_l
    sup[r, la] = 0.0
    diag[r, la] -= dsum_l
    rhs[r, la] -= bl
    s = _cyclic_reduction(sub, diag, sup, rhs, scratch)  # sub[:, 0] and sup[:, -1] are 0
    s[:, 0] = (b0 - dsum * s[:, 1]) / dx1
    s[r, n - 1] = (bl - dsum_l * s[r, la]) / dxa
    return s


def _slopes_of_blocks(
    x: FloatArray, y: FloatArray, blocks: list[tuple[int, int]], scratch: Scratch
) -> list[FloatArray]:
    """Slopes at knots ``k0`` to ``k1`` of one long series' not-a-knot spline, for each block
    ``(k0, k1)``, each from the knots reaching ``_SLOPE_MARGIN`` beyond it (a knot's influence
    on a slope halves at least with every knot between them: the cut changes nothing at
    double precision). The blocks' systems are solved together, one per row (a row's solution
    does not depend on the others')."""
    n = x.size
    spans = []
    for k0, k1 in blocks:
        a = max(0, k0 - _SLOPE_MARGIN)
        b = min(n, k1 + _SLOPE_MARGIN)
        spans.append((min(a, b - 4), b))
    lo = np.array([a for a, _ in spans], dtype=np.int64)
    hi = np.array([b for _, b in spans], dtype=np.int64)
    width = int((hi - lo).max())
    take = np.minimum(lo[:, None] + np.arange(width)[None, :], (hi - 1)[:, None])
    s = _spline_slopes(np.take(x, take), np.take(y, take), hi - lo, scratch)
    return [
        s[i, k0 - a : k1 - a].copy()
        for i, ((k0, k1), (a, _)) in enumerate(zip(blocks, spans, strict=True))
    ]


def _pieces(
    x: FloatArray, y: FloatArray, s: FloatArray, scratch: Scratch | None = None
) -> tuple[FloatArray, FloatArray]:
    """Cubic and quadratic coefficients of the Hermite piece from each knot to the next, along
    the last axis (as scipy's ``CubicHermiteSpline``); the value is ``((c0 t + c1) t + s) t
    + y``. The last knot's (no piece) are 0."""
    scratch = scratch or Scratch()
    inner = (*x.shape[:-1], x.shape[-1] - 1)
    h = np.subtract(x[..., 1:], x[..., :-1], out=scratch.array("h", inner))
    np.copyto(h, 1.0, where=~(h > 0))
    m = np.divide(
        np.subtract(y[..., 1:], y[..., :-1], out=scratch.array("hm", inner)),
        h,
        out=scratch.array("hm", inner),
    )
    t = np.add(s[..., :-1], s[..., 1:], out=scratch.array("ht", inner))
    t -= np.multiply(m, 2.0, out=scratch.array("hu", inner))
    t /= h
    c0, c1 = scratch.array("c0", x.shape), scratch.array("c1", x.shape)
    np.divide(t, h, out=c0[..., :-1])
    c0[..., -1] = 0.0
    u = np.divide(
        np.subtract(m, s[..., :-1], out=scratch.array("hu", inner)),
        h,
        out=scratch.array("hu", inner),
    )
    np.subtract(u, t, out=c1[..., :-1])
    c1[..., -1] = 0.0
    return c0, c1


def _evaluate(
    x: FloatArray,
    y: FloatArray,
    s: FloatArray,
    c0: FloatArray,
    c1: FloatArray,
    idx: IntArray,
    g: FloatArray,
    scratch: Scratch | None = None,
) -> FloatArray:
    """The spline pieces ``idx`` at times ``g`` (flat arrays)."""
    scratch = scratch or Scratch()
    shape = (idx.size,)
    part = scratch.array("part", shape)
    tau = np.subtract(g, np.take(x, idx, out=part, mode="clip"), out=scratch.array("tau", shape))
    out = np.take(c0, idx, out=scratch.array("value", shape), mode="clip")
    out *= tau
    out += np.take(c1, idx, out=part, mode="clip")
    out *= tau
    out += np.take(s, idx, out=part, mode="clip")
    out *= tau
    out += np.take(y, idx, out=part, mode="clip")
    return out


def _band_bins(nfft: int) -> list[tuple[slice, FloatArray]]:
    """The FFT bins of each band (``lo <= f < hi``) and their frequencies."""
    freqs: FloatArray = np.fft.rfftfreq(nfft, 1.0 / INTERPOLATION_HZ).astype(np.float64)
    out: list[tuple[slice, FloatArray]] = []
    for lo, hi in BANDS_HZ.values():
        k = np.flatnonzero((freqs >= lo) & (freqs < hi))
        out.append((slice(int(k[0]), int(k[-1]) + 1), freqs[k]))
    return out


_BINS = _band_bins(_NFFT_MIN)  # the FFT size of every estimate here (a constant)
#: numpy.fft writes into a given array from numpy 2.0 on.
_RFFT_OUT = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def _integrate(psd: FloatArray, nfft: int) -> FloatArray:
    """Trapezoid integrals of each row of a one-sided PSD over the three bands."""
    out = np.empty((psd.shape[0], len(BANDS_HZ)))
    for j, (sl, f) in enumerate(_BINS if nfft == _NFFT_MIN else _band_bins(nfft)):
        # The trapezoid rule as np.trapezoid (numpy 2 only) computes it.
        p = psd[:, sl]
        out[:, j] = (np.diff(f) * (p[:, 1:] + p[:, :-1]) / 2.0).sum(axis=1)
    return out


def _hann_rows(
    lengths: IntArray, width: int, scratch: Scratch | None = None
) -> tuple[FloatArray, FloatArray]:
    """Each row's periodic Hann window (scipy's ``get_window("hann", n)``) of its length,
    zero beyond it, and each window's sum of squares (one window per distinct length)."""
    distinct, which = np.unique(lengths, return_inverse=True)
    col = np.arange(width)
    table = np.where(
        col[None, :] < distinct[:, None],
        0.5 - 0.5 * np.cos(2.0 * np.pi * col[None, :] / distinct[:, None]),
        0.0,
    )
    power = np.einsum("ij,ij->i", table, table)
    win = (scratch or Scratch()).array("hann", (lengths.size, width))
    np.take(table, which.ravel(), axis=0, out=win, mode="clip")
    return win, power[which.ravel()]


def _periodograms(
    centered: FloatArray, lengths: IntArray, nfft: int, scratch: Scratch | None = None
) -> FloatArray:
    """Welch's one-sided density of each row's segment (mean already removed; its first
    ``lengths`` samples count), Hann-windowed and zero-padded to ``nfft``, up to the highest
    band (the rest is never integrated). ``centered`` is windowed in place."""
    win, power = _hann_rows(lengths, centered.shape[1], scratch)
    top = (_BINS if nfft == _NFFT_MIN else _band_bins(nfft))[-1][0].stop
    centered *= win
    if scratch is not None and _RFFT_OUT:
        out = scratch.array("spectrum", (centered.shape[0], nfft // 2 + 1), np.complex128)
        spec = np.fft.rfft(centered, n=nfft, axis=1, out=out)[:, :top]
    else:
        spec = np.fft.rfft(centered, n=nfft, axis=1)[:, :top]
    psd: FloatArray = spec.real**2 + spec.imag**2
    psd *= (2.0 / INTERPOLATION_HZ / power)[:, None]
    psd[:, 0] *= 0.5  # the one-sided spectrum doubles every bin but DC (and Nyquist)
    return psd


def _increasing(rr_ms: FloatArray, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Only beats later than the one before (times from a corrected or re-anchored chain)."""
    if t_s.size > 1 and not bool(np.all(t_s[1:] > t_s[:-1])):
        keep = np.concatenate(([True], np.diff(t_s) > 0))
        return rr_ms[keep], t_s[keep]
    return rr_ms, t_s


def band_powers_many(series: Sequence[tuple[FloatArray, FloatArray]]) -> FloatArray:
    """VLF, LF and HF power (ms^2) of each ``(rr_ms, t_s)`` series: an array (n, 3), nan
    rows for series too short (fewer than 4 beats or under 120 s)."""
    parts = [
        _increasing(np.asarray(r, dtype=np.float64), np.asarray(t, dtype=np.float64))
        for r, t in series
    ]
    sizes = np.array([r.size for r, _ in parts], dtype=np.int64)
    hi = np.cumsum(sizes)
    if len(parts) == 1:  # no copy of a long series
        rr, t = parts[0]
    else:
        rr = np.concatenate([r for r, _ in parts]) if parts else np.zeros(0)
        t = np.concatenate([tt for _, tt in parts]) if parts else np.zeros(0)
    return band_powers_ranges(rr, t, hi - sizes, hi)


def band_powers_ranges(
    rr_ms: FloatArray,
    t_s: FloatArray,
    lo: IntArray,
    hi: IntArray,
    scratch: Scratch | None = None,
) -> FloatArray:
    """Band powers of the windows ``rr_ms[lo[k]:hi[k]]`` (beat times ``t_s``, increasing in
    each window): an array (len(lo), 3) of VLF, LF, HF (ms^2), nan where a window is too short.
    Windows may overlap (the sliding windows of a stream). ``scratch``: working arrays to use
    (and keep for the next call)."""
    scratch = scratch or Scratch()
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    out = np.full((lo.size, 3), math.nan)
    if lo.size == 0:
        return out
    n = hi - lo
    ok = n >= 4
    span = np.zeros(lo.size)
    span[ok] = t_s[hi[ok] - 1] - t_s[lo[ok]]
    ok &= span >= MIN_FREQUENCY_WINDOW_S
    n_grid = np.ceil(span * INTERPOLATION_HZ).astype(np.int64)
    one_segment = ok & (n_grid <= _SEGMENT)
    for k in np.flatnonzero(ok & ~one_segment):
        out[k] = _long_band_powers(rr_ms[lo[k] : hi[k]], t_s[lo[k] : hi[k]])
    todo = np.flatnonzero(one_segment)
    # Batches of about _GRID_BLOCK grid samples: numpy's per-call cost is paid once per
    # batch, and memory stays bounded whatever the number of windows.
    per_batch = _WINDOWS_PER_BATCH
    for first in range(0, todo.size, per_batch):
        sel = todo[first : first + per_batch]
        out[sel] = _one_segment_band_powers(rr_ms, t_s, lo[sel], hi[sel], n_grid[sel], scratch)
    return out


def _one_segment_band_powers(
    rr_ms: FloatArray,
    t_s: FloatArray,
    lo: IntArray,
    hi: IntArray,
    n_grid: IntArray,
    scratch: Scratch,
) -> FloatArray:
    """Windows whose 4 Hz grid fits one Welch segment (up to 300 s): one periodogram each,
    one window per row of a (windows, 1200) array."""
    w = lo.size
    n = hi - lo
    width = int(n.max())
    col = np.arange(width)
    take = scratch.array("take", (w, width), np.int64)
    np.minimum(np.add(lo[:, None], col[None, :], out=take), (hi - 1)[:, None], out=take)
    x = np.take(t_s, take, out=scratch.array("x", (w, width)), mode="clip")
    y = np.take(rr_ms, take, out=scratch.array("y", (w, width)), mode="clip")
    s = _spline_slopes(x, y, n, scratch)
    c0, c1 = _pieces(x, y, s, scratch)
    # Row k, column j is window k's grid sample t0 + j / 4 Hz. It lies on the piece of the
    # last knot at or before it: the first sample after knot i is ceil((x_i - t0) * 4 Hz).
    # Columns past the window's grid stay on its last piece and are zeroed below.
    t0 = x[:, 0]
    since = np.subtract(x, t0[:, None], out=scratch.array("since", (w, width)))
    np.ceil(np.multiply(since, INTERPOLATION_HZ, out=since), out=since)
    first = take  # no longer needed as such
    np.copyto(first, since, casting="unsafe")
    count = scratch.array("count", (w, width), np.int64)
    np.subtract(first[:, 1:], first[:, :-1], out=count[:, :-1])
    count[:, -1] = 0
    r = np.arange(w)
    count[col[None, :] >= (n - 2)[:, None]] = 0
    count[r, n - 2] = _SEGMENT - first[r, n - 2]
    piece = scratch.owners("piece", count.ravel())  # np.repeat(arange(w * width), count)
    g = scratch.array("grid", (w, _SEGMENT))
    np.add(t0[:, None], (np.arange(_SEGMENT) / INTERPOLATION_HZ)[None, :], out=g)
    values = _evaluate(
        x.ravel(), y.ravel(), s.ravel(), c0.ravel(), c1.ravel(), piece, g.ravel(), scratch
    ).reshape(w, _SEGMENT)
    np.copyto(values, 0.0, where=np.arange(_SEGMENT)[None, :] >= n_grid[:, None])
    # The series' mean removed. Welch's constant detrend of the one segment would remove the
    # mean again: nothing left to remove.
    values -= (values.sum(axis=1) / n_grid)[:, None]
    return _integrate(_periodograms(values, n_grid, _NFFT_MIN, scratch), _NFFT_MIN)


def _last_knot_at_or_before(t: FloatArray, g: FloatArray) -> IntArray:
    """``searchsorted(t, g, side="right") - 1`` for a regular 4 Hz grid ``g`` (increasing,
    knots at least one sample apart or not): each knot's first sample is worked out, then
    the few samples where that rounding put a knot on the wrong side are moved."""
    a = max(int(np.searchsorted(t, g[0], side="right")) - 1, 0)
    b = min(int(np.searchsorted(t, g[-1], side="right")) + 1, t.size)
    first = np.ceil((t[a:b] - g[0]) * INTERPOLATION_HZ)
    first = np.clip(first, 0, g.size).astype(np.int64)
    idx = np.cumsum(np.bincount(first, minlength=g.size + 1)[: g.size]) + (a - 1)
    # Exact: t[idx] <= g < t[idx + 1].
    for _ in range(4):
        up = (idx + 1 < t.size) & (t[np.minimum(idx + 1, t.size - 1)] <= g)
        down = (idx >= 0) & (t[np.maximum(idx, 0)] > g)
        if not (up.any() or down.any()):
            return idx
        idx = idx + up - down
    found: IntArray = np.searchsorted(t, g, side="right") - 1
    return found


def _long_band_powers(rr: FloatArray, t: FloatArray) -> FloatArray:
    """One long series (a whole recording), in bounded memory."""
    n_grid = math.ceil((t[-1] - t[0]) * INTERPOLATION_HZ)
    nperseg = min(n_grid, _SEGMENT)
    hop = nperseg - nperseg // 2
    nseg = (n_grid - nperseg) // hop + 1
    center = float(rr.mean())  # any constant: each segment's mean is removed again
    total: FloatArray | None = None
    per_batch = max(1, _LONG_GRID_BLOCK // hop)
    batches = [(first, min(nseg, first + per_batch)) for first in range(0, nseg, per_batch)]
    scratch = Scratch()
    for group in range(0, len(batches), _LONG_BLOCKS_SOLVED_TOGETHER):
        todo = []
        for first, last in batches[group : group + _LONG_BLOCKS_SOLVED_TOGETHER]:
            j0 = first * hop
            j1 = (last - 1) * hop + nperseg
            g = t[0] + np.arange(j0, j1) / INTERPOLATION_HZ
            idx = np.clip(_last_knot_at_or_before(t, g), 0, t.size - 2)
            # The spline of the knots this batch uses only (memory stays bounded).
            todo.append((first, last, j0, g, idx, int(idx[0]), int(idx[-1]) + 2))
        slopes = _slopes_of_blocks(t, rr, [(k0, k1) for *_, k0, k1 in todo], scratch)
        for (first, last, j0, g, idx, k0, k1), s in zip(todo, slopes, strict=True):
            c0, c1 = _pieces(t[k0:k1], rr[k0:k1], s, scratch)
            values = _evaluate(t[k0:k1], rr[k0:k1], s, c0, c1, idx - k0, g, scratch)
            values -= center
            take = (np.arange(first, last) * hop - j0)[:, None] + np.arange(nperseg)[None, :]
            segments = np.take(values, take, out=scratch.array("segments", take.shape))
            segments -= segments.mean(axis=1)[:, None]  # Welch's constant detrend
            lengths = np.full(last - first, nperseg, dtype=np.int64)
            psd = _periodograms(segments, lengths, _NFFT_MIN, scratch).sum(axis=0)
            total = psd if total is None else total + psd
    assert total is not None
    bands: FloatArray = _integrate((total / nseg)[None, :], _NFFT_MIN)[0]
    return bands
