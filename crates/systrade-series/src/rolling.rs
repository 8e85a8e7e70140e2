//! Rolling windows over a number of rows (pandas `x.rolling(n, min_periods=m)`) and expanding
//! windows (`x.expanding(min_periods=m)`). Window `t` covers rows `max(0, t+1−n) ..= t`; `min_periods`
//! counts non-NaN values in it; below it the output is NaN. pandas' default `min_periods` is `n`.
//! Sums use pandas' Kahan-compensated add/remove updates, so results match to the last bit in
//! ordinary cases.

/// Window `t` is `[start(t), t]`.
fn window_start(t: usize, window: usize) -> usize {
    (t + 1).saturating_sub(window)
}

/// Kahan-compensated running sum as pandas keeps it for rolling means (separate compensation for
/// additions and removals).
#[derive(Default)]
struct KahanMean {
    nobs: usize,
    neg_ct: usize,
    sum: f64,
    comp_add: f64,
    comp_remove: f64,
}

impl KahanMean {
    fn add(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.nobs += 1;
        let y = v - self.comp_add;
        let t = self.sum + y;
        self.comp_add = t - self.sum - y;
        self.sum = t;
        if v.is_sign_negative() {
            self.neg_ct += 1;
        }
    }

    fn remove(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.nobs -= 1;
        let y = -v - self.comp_remove;
        let t = self.sum + y;
        self.comp_remove = t - self.sum - y;
        self.sum = t;
        if v.is_sign_negative() {
            self.neg_ct -= 1;
        }
    }

    fn mean(&self, minp: usize) -> f64 {
        if self.nobs >= minp && self.nobs > 0 {
            let r = self.sum / self.nobs as f64;
            // All-positive (all-negative) windows cannot have a negative (positive) mean.
            if (self.neg_ct == 0 && r < 0.0) || (self.neg_ct == self.nobs && r > 0.0) {
                0.0
            } else {
                r
            }
        } else {
            f64::NAN
        }
    }
}

/// Rolling mean, pandas `x.rolling(n, min_periods=m).mean()`:
/// `mean_t = Σ_{i in window, x_i not NaN} x_i / count`, NaN when `count < max(m, 1)`.
pub fn rolling_mean(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    assert!(window >= 1, "rolling window must be >= 1");
    let mut acc = KahanMean::default();
    let mut out = Vec::with_capacity(values.len());
    for (t, &v) in values.iter().enumerate() {
        // pandas removes the leaving value before adding the new one.
        if t >= window {
            acc.remove(values[t - window]);
        }
        acc.add(v);
        out.push(acc.mean(min_periods));
    }
    out
}

/// Expanding mean, pandas `x.expanding(min_periods=m).mean()`: mean of all non-NaN values so far,
/// NaN while fewer than `max(m, 1)`. pysystemtrade's `rolling(window=250000, min_periods=500)` is
/// this for any series shorter than the window.
pub fn expanding_mean(values: &[f64], min_periods: usize) -> Vec<f64> {
    rolling_mean(values, values.len().max(1), min_periods)
}

/// Rolling variance with `ddof = 1`, pandas `x.rolling(n, min_periods=m).var()`:
/// `Σ (x_i − mean)² / (count − 1)` over the non-NaN values in the window (Welford updates with
/// Kahan compensation, as pandas); NaN when `count < max(m, 1)` or `count <= 1`; exactly 0 when the
/// last `count` values added were all equal (pandas' constant-window rule).
pub fn rolling_var(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    assert!(window >= 1, "rolling window must be >= 1");
    let minp = min_periods.max(1);
    let ddof = 1.0;
    let (mut nobs, mut mean, mut ssqdm) = (0.0_f64, 0.0_f64, 0.0_f64);
    let (mut comp_add, mut comp_remove) = (0.0_f64, 0.0_f64);
    let mut prev_value = values.first().copied().unwrap_or(f64::NAN);
    let mut same_run = 0.0_f64;
    let mut out = Vec::with_capacity(values.len());
    for (t, &v) in values.iter().enumerate() {
        if t >= window {
            let old = values[t - window];
            if !old.is_nan() {
                nobs -= 1.0;
                if nobs != 0.0 {
                    let prev_mean = mean - comp_remove;
                    let y = old - comp_remove;
                    let d = y - mean;
                    comp_remove = d + mean - y;
                    mean -= d / nobs;
                    ssqdm -= (old - prev_mean) * (old - mean);
                } else {
                    mean = 0.0;
                    ssqdm = 0.0;
                }
            }
        }
        if !v.is_nan() {
            nobs += 1.0;
            if v == prev_value {
                same_run += 1.0;
            } else {
                same_run = 1.0;
            }
            prev_value = v;
            let prev_mean = mean - comp_add;
            let y = v - comp_add;
            let d = y - mean;
            comp_add = d + mean - y;
            mean += d / nobs;
            ssqdm += (v - prev_mean) * (v - mean);
        }
        let r = if nobs >= minp as f64 && nobs > ddof {
            if same_run >= nobs {
                0.0
            } else {
                (ssqdm / (nobs - ddof)).max(0.0)
            }
        } else {
            f64::NAN
        };
        out.push(r);
    }
    out
}

/// Rolling standard deviation (`ddof = 1`), pandas `x.rolling(n, min_periods=m).std()`:
/// `sqrt(rolling_var)`.
pub fn rolling_std(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    rolling_var(values, window, min_periods)
        .into_iter()
        .map(f64::sqrt)
        .collect()
}

/// Rolling extreme of the non-NaN values of windows of `window` rows (van Herk / Gil-Werman):
/// the rows are cut into blocks of `window`; each window is the end of one block and the start
/// of the next, so its extreme is the better of a suffix extreme and a prefix extreme, each
/// computed in one pass. `better(a, b)` says `a` wins over `b`; on a tie the later row's value is
/// taken (what a monotonic deque that lets a new value displace equal older ones returns, which
/// tells −0 and +0 apart). NaN below `max(min_periods, 1)` non-NaN values in the window.
fn rolling_extreme(
    values: &[f64],
    window: usize,
    min_periods: usize,
    better: impl Fn(f64, f64) -> bool,
    absent: f64,
) -> Vec<f64> {
    assert!(window >= 1, "rolling window must be >= 1");
    let n = values.len();
    // a NaN row takes part as `absent` (−∞ for a maximum, +∞ for a minimum), which every value
    // wins over or ties with (a tie with a real ±∞ gives the same bits); so no branch on NaN
    let later_wins = |later: f64, earlier: f64| {
        if better(earlier, later) {
            earlier
        } else {
            later
        }
    };
    let value = |x: f64| if x.is_nan() { absent } else { x };
    // prefix[i]: the extreme of its block up to row i; suffix[i]: from row i to its block's end
    let mut prefix = Vec::with_capacity(n);
    for block in values.chunks(window) {
        let mut acc = value(block[0]);
        prefix.push(acc);
        for &x in &block[1..] {
            acc = later_wins(value(x), acc);
            prefix.push(acc);
        }
    }
    let mut suffix = vec![f64::NAN; n];
    for (block, out) in values.chunks(window).zip(suffix.chunks_mut(window)) {
        let last = block.len() - 1;
        let mut acc = value(block[last]);
        out[last] = acc;
        for i in (0..last).rev() {
            acc = later_wins(acc, value(block[i]));
            out[i] = acc;
        }
    }
    let minp = min_periods.max(1);
    let mut nobs = 0usize;
    let mut out = Vec::with_capacity(n);
    // (t + 1) mod window, counted rather than divided for
    let mut phase = 0usize;
    for t in 0..n {
        nobs += usize::from(!values[t].is_nan());
        phase += 1;
        if phase == window {
            phase = 0;
        }
        // the window is rows start..=t: one prefix when it starts a block (and up to the first
        // full window), else one block's suffix from `start` and the next one's prefix up to `t`
        let extreme = if t < window {
            prefix[t]
        } else {
            if !values[t - window].is_nan() {
                nobs -= 1;
            }
            if phase == 0 {
                prefix[t]
            } else {
                later_wins(prefix[t], suffix[t + 1 - window])
            }
        };
        out.push(if nobs >= minp { extreme } else { f64::NAN });
    }
    out
}

/// Rolling maximum of non-NaN values, pandas `x.rolling(n, min_periods=m).max()`.
pub fn rolling_max(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    rolling_extreme(values, window, min_periods, |a, b| a > b, f64::NEG_INFINITY)
}

/// Rolling minimum of non-NaN values, pandas `x.rolling(n, min_periods=m).min()`.
pub fn rolling_min(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    rolling_extreme(values, window, min_periods, |a, b| a < b, f64::INFINITY)
}

/// Rolling quantile with linear interpolation, pandas `x.rolling(n, min_periods=m).quantile(q)`:
/// with the window's `k` non-NaN values sorted as `v_0 <= … <= v_{k−1}`, `h = q·(k − 1)`,
/// `j = floor(h)`: `v_j` if `h == j`, else `v_j + (v_{j+1} − v_j)·(h − j)`. NaN when
/// `k < max(m, 1)`.
///
/// Values are ordered by [`f64::total_cmp`] (−0 before +0). A window of up to
/// [`SORTED_WINDOW_MAX`] values is kept sorted (a step moves the values between the one leaving
/// and the one entering: O(window) bytes, but contiguous and in cache); a longer one is held as
/// counts over the ranks of the distinct values (a Fenwick tree), O(log n) per step. Both give
/// the same order statistics, so the same results bit for bit.
pub fn rolling_quantile(values: &[f64], window: usize, min_periods: usize, q: f64) -> Vec<f64> {
    assert!(window >= 1, "rolling window must be >= 1");
    assert!(
        (0.0..=1.0).contains(&q),
        "quantile must be in [0, 1], got {q}"
    );
    if q <= LOW_QUANTILE_MAX && window > LOW_QUANTILE_MIN_WINDOW {
        rolling_quantile_low(values, window, min_periods, q)
    } else if window <= SORTED_WINDOW_MAX {
        rolling_quantile_sorted(values, window, min_periods, q)
    } else {
        rolling_quantile_ranked(values, window, min_periods, q)
    }
}

/// The longest window [`rolling_quantile`] keeps as a sorted array (robust_vol_calc's vol floor
/// uses 500 days); measured on pysystemtrade's data, the sorted window is about twice as fast as
/// the Fenwick tree at 500 values.
pub const SORTED_WINDOW_MAX: usize = 2048;

/// The highest quantile [`rolling_quantile`] computes from the window's smallest values only
/// ([`rolling_quantile_low`]; robust_vol_calc's vol floor is the 5 % quantile).
pub const LOW_QUANTILE_MAX: f64 = 0.25;

/// Windows up to this many values are kept sorted whole whatever the quantile.
const LOW_QUANTILE_MIN_WINDOW: usize = 64;

/// [`rolling_quantile`] for a low quantile: only the window's smallest values are kept sorted
/// (those below a threshold, at least the two around rank `q·(k − 1)` that the quantile reads),
/// the others are only counted. Most steps compare the leaving and the entering value with the
/// threshold and move nothing; when too few values are left below it, it is chosen again from
/// the window (a selection over at most `window` values), and when too many have come in, it is
/// lowered. The same order statistics as the whole window sorted, so the same results bit for
/// bit.
fn rolling_quantile_low(values: &[f64], window: usize, min_periods: usize, q: f64) -> Vec<f64> {
    let below = |sorted: &[f64], v: f64| sorted.partition_point(|x| x.total_cmp(&v).is_lt());
    // how many of the smallest values the quantile of `n` values reads
    let needed = |n: usize| {
        if n == 0 {
            0
        } else {
            ((q * (n - 1) as f64) as usize + 2).min(n)
        }
    };
    // how many to keep below a new threshold: room for the window to lose some before the next
    // selection, and a bound past which the threshold is lowered
    let keep = |n: usize| (needed(n) * 2 + 16).min(n);
    let most = |n: usize| keep(n) * 2 + 32;
    // the sizes and the position of the quantile for the last count of values (it changes at
    // most by one a step, and not at all once the window is full)
    let mut sizes_of = usize::MAX;
    let (mut sizes, mut position) = ((0, 0, 0), QuantilePosition::new(0, min_periods, q));
    // the window's non-NaN values below `threshold` (all of them when `None`), sorted
    let mut low: Vec<f64> = Vec::new();
    let mut threshold: Option<f64> = None;
    // the window's non-NaN values at or above `threshold`
    let mut rest = 0usize;
    let mut scratch: Vec<f64> = Vec::new();
    let mut out = Vec::with_capacity(values.len());
    for (t, &v) in values.iter().enumerate() {
        let is_low = |x: f64| threshold.is_none_or(|th| x.total_cmp(&th).is_lt());
        if t >= window {
            let old = values[t - window];
            if !old.is_nan() {
                if is_low(old) {
                    low.remove(below(&low, old));
                } else {
                    rest -= 1;
                }
            }
        }
        if !v.is_nan() {
            if is_low(v) {
                low.insert(below(&low, v), v);
            } else {
                rest += 1;
            }
        }
        let n = low.len() + rest;
        if n != sizes_of {
            sizes_of = n;
            sizes = (needed(n), keep(n), most(n));
            position = QuantilePosition::new(n, min_periods, q);
        }
        let (needed_n, keep_n, most_n) = sizes;
        if low.len() < needed_n {
            // too few below the threshold: the `keep(n)` smallest of the window (and any equal
            // to the largest of them) become the new low values
            scratch.clear();
            scratch.extend(
                values[window_start(t, window)..=t]
                    .iter()
                    .copied()
                    .filter(|x| !x.is_nan()),
            );
            let m = keep_n;
            threshold = None;
            if m < n {
                let (_, pivot, above) = scratch.select_nth_unstable_by(m, f64::total_cmp);
                let pivot = *pivot;
                threshold = above
                    .iter()
                    .copied()
                    .filter(|x| x.total_cmp(&pivot).is_gt())
                    .min_by(f64::total_cmp);
            }
            low.clear();
            match threshold {
                Some(th) => {
                    low.extend(scratch.iter().copied().filter(|x| x.total_cmp(&th).is_lt()))
                }
                None => low.extend_from_slice(&scratch),
            }
            low.sort_unstable_by(f64::total_cmp);
            rest = n - low.len();
        } else if low.len() > most_n {
            // too many below the threshold: lowered to the `keep(n)`-th smallest, unless ties
            // there would leave too few below it
            let th = low[keep_n];
            let at = below(&low, th);
            if at >= needed_n {
                rest += low.len() - at;
                low.truncate(at);
                threshold = Some(th);
            }
        }
        out.push(position.of(|i| low[i]));
    }
    out
}

/// Where the quantile `q` of `count` values lies (computed once for a count by
/// [`rolling_quantile_low`]).
#[derive(Debug, Clone, Copy)]
enum QuantilePosition {
    /// Fewer than `min_periods` values: NaN.
    TooFew,
    /// The `j`-th smallest value exactly.
    At(usize),
    /// Between the `j`-th and `j + 1`-th smallest, at `h − j`.
    Between(usize, f64),
}

impl QuantilePosition {
    fn new(count: usize, min_periods: usize, q: f64) -> Self {
        if count < min_periods.max(1) {
            return Self::TooFew;
        }
        if count == 1 {
            return Self::At(0);
        }
        let h = q * (count - 1) as f64;
        let j = h as usize;
        if h == j as f64 {
            Self::At(j)
        } else {
            Self::Between(j, h - j as f64)
        }
    }

    /// The quantile, with `kth(i)` the `i`-th smallest value.
    fn of(self, kth: impl Fn(usize) -> f64) -> f64 {
        match self {
            Self::TooFew => f64::NAN,
            Self::At(j) => kth(j),
            Self::Between(j, fraction) => {
                let (lo, hi) = (kth(j), kth(j + 1));
                lo + (hi - lo) * fraction
            }
        }
    }
}

/// The quantile of a window of `count` values whose `i`-th smallest is `kth(i)` (NaN below
/// `min_periods`).
fn window_quantile(count: usize, min_periods: usize, q: f64, kth: impl Fn(usize) -> f64) -> f64 {
    QuantilePosition::new(count, min_periods, q).of(kth)
}

/// [`rolling_quantile`] over a sorted copy of the window.
fn rolling_quantile_sorted(values: &[f64], window: usize, min_periods: usize, q: f64) -> Vec<f64> {
    let below = |sorted: &[f64], v: f64| sorted.partition_point(|x| x.total_cmp(&v).is_lt());
    let mut sorted: Vec<f64> = Vec::with_capacity(window.min(values.len()));
    let mut out = Vec::with_capacity(values.len());
    for (t, &v) in values.iter().enumerate() {
        let leaving = (t >= window).then(|| values[t - window]);
        match (leaving.filter(|x| !x.is_nan()), !v.is_nan()) {
            (Some(old), true) => {
                // one move of the values between the leaving one and the entering one's place
                let i = below(&sorted, old);
                let j = below(&sorted, v);
                if j > i {
                    sorted.copy_within(i + 1..j, i);
                    sorted[j - 1] = v;
                } else {
                    sorted.copy_within(j..i, j + 1);
                    sorted[j] = v;
                }
            }
            (Some(old), false) => {
                let i = below(&sorted, old);
                sorted.remove(i);
            }
            (None, true) => {
                let j = below(&sorted, v);
                sorted.insert(j, v);
            }
            (None, false) => {}
        }
        out.push(window_quantile(sorted.len(), min_periods, q, |i| sorted[i]));
    }
    out
}

/// [`rolling_quantile`] over counts of the ranks of the distinct values (a Fenwick tree).
fn rolling_quantile_ranked(values: &[f64], window: usize, min_periods: usize, q: f64) -> Vec<f64> {
    // ranks of the distinct non-NaN values, computed once
    let mut order: Vec<usize> = (0..values.len()).filter(|&t| !values[t].is_nan()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut distinct: Vec<f64> = Vec::new();
    let mut ranks = vec![0usize; values.len()];
    for &t in &order {
        if distinct.last().map(|d| d.to_bits()) != Some(values[t].to_bits()) {
            distinct.push(values[t]);
        }
        ranks[t] = distinct.len() - 1;
    }
    let m = distinct.len();
    let mut tree = vec![0usize; m + 1];
    let add = |tree: &mut Vec<usize>, r: usize, delta: isize| {
        let mut i = r + 1;
        while i <= m {
            tree[i] = tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    };
    // the value of the k-th smallest (0-based) element in the window
    let kth = |tree: &Vec<usize>, k: usize| {
        let (mut pos, mut rem) = (0usize, k + 1);
        let mut step = m.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= m && tree[next] < rem {
                pos = next;
                rem -= tree[next];
            }
            step >>= 1;
        }
        distinct[pos]
    };
    let mut count = 0usize;
    let mut out = Vec::with_capacity(values.len());
    for (t, &v) in values.iter().enumerate() {
        if !v.is_nan() {
            add(&mut tree, ranks[t], 1);
            count += 1;
        }
        if t >= window {
            let old = values[t - window];
            if !old.is_nan() {
                add(&mut tree, ranks[t - window], -1);
                count -= 1;
            }
        }
        out.push(window_quantile(count, min_periods, q, |k| kth(&tree, k)));
    }
    out
}

/// Which higher moment a rolling window computes (pandas `roll_skew` / `roll_kurt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    Skew,
    Kurt,
}

impl Moment {
    /// Fewest observations with a defined result.
    fn min_obs(self) -> usize {
        match self {
            Self::Skew => 3,
            Self::Kurt => 4,
        }
    }

    /// pandas pre-centres by the rounded mean when `min − mean` exceeds this.
    fn centring_threshold(self) -> f64 {
        match self {
            Self::Skew => -1e5,
            Self::Kurt => -1e4,
        }
    }
}

/// Kahan-compensated power sums `Σx, Σx², Σx³, Σx⁴` of a rolling window (pandas `roll_skew` /
/// `roll_kurt` keep the first three or all four), with the run length of identical values added
/// last (pandas GH 42064: a window of one repeated value has skew 0 and kurtosis −3).
#[derive(Default)]
struct MomentSums {
    nobs: usize,
    x: [f64; 4],
    comp_add: [f64; 4],
    comp_remove: [f64; 4],
    same_run: usize,
    prev: f64,
}

impl MomentSums {
    /// Empty sums for a window starting at a value whose uncentred value is `first` (pandas
    /// seeds its "previous value" with the uncentred first value of the window).
    fn restart(first: f64) -> Self {
        Self {
            prev: first,
            ..Self::default()
        }
    }

    fn update(&mut self, v: f64, sign: f64, powers_used: usize) {
        if v.is_nan() {
            return;
        }
        if sign > 0.0 {
            self.nobs += 1;
        } else {
            self.nobs -= 1;
        }
        let powers = [v, v * v, v * v * v, v * v * v * v];
        let comps = if sign > 0.0 {
            &mut self.comp_add
        } else {
            &mut self.comp_remove
        };
        for ((sum, comp), p) in self
            .x
            .iter_mut()
            .zip(comps.iter_mut())
            .zip(powers)
            .take(powers_used)
        {
            let y = sign * p - *comp;
            let t = *sum + y;
            *comp = t - *sum - y;
            *sum = t;
        }
        if sign > 0.0 {
            if v == self.prev {
                self.same_run += 1;
            } else {
                self.same_run = 1;
            }
            self.prev = v;
        }
    }

    /// pandas `calc_skew`: with `A = Σx/n`, `B = Σx²/n − A²`, `C = Σx³/n − A³ − 3AB`,
    /// `skew = sqrt(n(n−1)) C / ((n−2) B^{3/2})`; NaN if `n < max(minp, 3)` or `B <= 1e-14`, 0
    /// when the window is one repeated value.
    fn skew(&self, minp: usize) -> f64 {
        let n = self.nobs;
        if n < minp.max(3) {
            return f64::NAN;
        }
        if self.same_run >= n {
            return 0.0;
        }
        let dn = n as f64;
        let a = self.x[0] / dn;
        let b = self.x[1] / dn - a * a;
        let c = self.x[2] / dn - a * a * a - 3.0 * a * b;
        if b <= 1e-14 {
            return f64::NAN;
        }
        let r = b.sqrt();
        (dn * (dn - 1.0)).sqrt() * c / ((dn - 2.0) * r * r * r)
    }

    /// pandas `calc_kurt` (excess kurtosis, bias-corrected): with `A`, `B`, `C` as for skew and
    /// `D = Σx⁴/n − A⁴ − 6BA² − 4CA`, `K = (n²−1) D / B² − 3(n−1)²`, result `K / ((n−2)(n−3))`;
    /// NaN if `n < max(minp, 4)` or `B <= 1e-14`, −3 when the window is one repeated value.
    fn kurt(&self, minp: usize) -> f64 {
        let n = self.nobs;
        if n < minp.max(4) {
            return f64::NAN;
        }
        if self.same_run >= n {
            return -3.0;
        }
        let dn = n as f64;
        let a = self.x[0] / dn;
        let mut r = a * a;
        let b = self.x[1] / dn - r;
        r *= a;
        let c = self.x[2] / dn - r - 3.0 * a * b;
        r *= a;
        let d = self.x[3] / dn - r - 6.0 * b * a * a - 4.0 * c * a;
        if b <= 1e-14 {
            return f64::NAN;
        }
        let k = (dn * dn - 1.0) * d / (b * b) - 3.0 * ((dn - 1.0) * (dn - 1.0));
        k / ((dn - 2.0) * (dn - 3.0))
    }
}

/// pandas' pre-centring for rolling skew / kurtosis: subtract the rounded mean of all non-NaN
/// values when `min − mean` is above the moment's threshold (keeps the power sums small).
fn centred(values: &[f64], moment: Moment) -> Vec<f64> {
    let (sum, n, min) = values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize, f64::INFINITY), |(s, n, m), &v| {
            (s + v, n + 1, m.min(v))
        });
    if n == 0 {
        return values.to_vec();
    }
    let mean = sum / n as f64;
    if min - mean > moment.centring_threshold() {
        let m = mean.round();
        values.iter().map(|v| v - m).collect()
    } else {
        values.to_vec()
    }
}

/// The moment over each window `[s, e)` of `bounds` (both ends non-decreasing), updating the sums
/// by the values leaving and entering; a window that shares no row with the previous one starts
/// from empty sums, as pandas does.
fn moment_over_windows(
    values: &[f64],
    bounds: impl Iterator<Item = (usize, usize)>,
    min_periods: usize,
    moment: Moment,
) -> Vec<f64> {
    let v = centred(values, moment);
    let powers = match moment {
        Moment::Skew => 3,
        Moment::Kurt => 4,
    };
    let mut sums = MomentSums::default();
    let (mut prev_s, mut prev_e) = (0usize, 0usize);
    let mut out = Vec::with_capacity(values.len());
    for (i, (s, e)) in bounds.enumerate() {
        if i == 0 || s >= prev_e {
            sums = MomentSums::restart(values.get(s).copied().unwrap_or(f64::NAN));
            for &x in &v[s..e] {
                sums.update(x, 1.0, powers);
            }
        } else {
            for &x in &v[prev_s..s] {
                sums.update(x, -1.0, powers);
            }
            for &x in &v[prev_e..e] {
                sums.update(x, 1.0, powers);
            }
        }
        (prev_s, prev_e) = (s, e);
        out.push(match moment {
            Moment::Skew => sums.skew(min_periods),
            Moment::Kurt => sums.kurt(min_periods.max(moment.min_obs())),
        });
    }
    out
}

/// Row bounds `[s, e)` of pandas' calendar window `"{days}D"` (`closed="right"`): the rows with
/// `date_t − days < date <= date_t`.
fn calendar_day_bounds(
    dates: &[chrono::NaiveDate],
    days: i64,
) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0usize;
    (0..dates.len()).map(move |t| {
        while (dates[t] - dates[start]).num_days() >= days {
            start += 1;
        }
        (start, t + 1)
    })
}

/// Rolling skewness over `window` rows, pandas `x.rolling(n, min_periods=m).skew()`: the
/// bias-corrected sample skewness `sqrt(k(k−1))/(k−2) × m₃/m₂^{3/2}` of the window's `k` non-NaN
/// values (moments from Kahan-summed power sums of pre-centred values, as pandas), NaN when
/// `k < max(m, 3)` or the variance `m₂ <= 1e-14`, 0 for a window of one repeated value.
pub fn rolling_skew(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    assert!(window >= 1, "rolling window must be >= 1");
    let bounds = (0..values.len()).map(|t| (window_start(t, window), t + 1));
    moment_over_windows(values, bounds, min_periods, Moment::Skew)
}

/// Rolling skewness over a calendar window, pandas `x.rolling("{days}D").skew()` on a date index:
/// row `t` uses the rows with `date_t − days < date <= date_t` (pandas' default `closed="right"`
/// and `min_periods=1`, raised to 3 for skew). Formula as [`rolling_skew`]. `dates` ascending.
pub fn rolling_skew_days(
    dates: &[chrono::NaiveDate],
    values: &[f64],
    days: i64,
    min_periods: usize,
) -> Vec<f64> {
    assert_eq!(dates.len(), values.len(), "one value per date");
    moment_over_windows(
        values,
        calendar_day_bounds(dates, days),
        min_periods,
        Moment::Skew,
    )
}

/// Rolling excess kurtosis over a calendar window, pandas `x.rolling("{days}D").kurt()` on a date
/// index: the window as [`rolling_skew_days`], `min_periods` raised to 4, the bias-corrected
/// sample excess kurtosis of pandas `roll_kurt` (pre-centred Kahan-summed power sums; NaN when the
/// variance is `<= 1e-14`, −3 for a window of one repeated value). `dates` ascending.
pub fn rolling_kurt_days(
    dates: &[chrono::NaiveDate],
    values: &[f64],
    days: i64,
    min_periods: usize,
) -> Vec<f64> {
    assert_eq!(dates.len(), values.len(), "one value per date");
    moment_over_windows(
        values,
        calendar_day_bounds(dates, days),
        min_periods,
        Moment::Kurt,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_close;

    const NAN: f64 = f64::NAN;

    #[test]
    fn kurtosis_by_hand() {
        let d: Vec<chrono::NaiveDate> = (1..=6)
            .map(|i| chrono::NaiveDate::from_ymd_opt(2024, 1, i).unwrap())
            .collect();
        // [0, 0, 0, 4]: deviations −1, −1, −1, 3; m2 = 3, m4 = 21;
        // (n²−1)·m4/m2² − 3(n−1)² = 35 − 27 = 8, / ((n−2)(n−3)) = 4.
        let k = rolling_kurt_days(&d, &[0.0, 0.0, 0.0, 4.0, 2.0, 2.0], 4, 1);
        assert!(k[..3].iter().all(|v| v.is_nan()), "{k:?}");
        assert!((k[3] - 4.0).abs() < 1e-12, "{k:?}");
        // A window of one repeated value: −3 (pandas GH 42064); the skew of it is 0.
        let flat = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0];
        assert_eq!(rolling_kurt_days(&d, &flat, 4, 1)[5], -3.0);
        assert_eq!(rolling_skew_days(&d, &flat, 3, 1)[5], 0.0);
    }

    #[test]
    fn rolling_mean_counts_rows_and_skips_nan() {
        let x = [1.0, NAN, 3.0, 4.0, NAN, NAN, NAN];
        // windows of 3 rows: [1] [1,N] [1,N,3] [N,3,4] [3,4,N] [4,N,N] [N,N,N]
        assert_close(
            &rolling_mean(&x, 3, 2),
            &[NAN, NAN, 2.0, 3.5, 3.5, NAN, NAN],
        );
        assert_close(
            &rolling_mean(&x, 3, 1),
            &[1.0, 1.0, 2.0, 3.5, 3.5, 4.0, NAN],
        );
        assert_close(
            &expanding_mean(&x, 3),
            &[NAN, NAN, NAN, 8.0 / 3.0, 8.0 / 3.0, 8.0 / 3.0, 8.0 / 3.0],
        );
        assert!(rolling_mean(&[], 3, 1).is_empty());
    }

    #[test]
    fn rolling_std_by_hand() {
        // [1,2,4]: mean 7/3, Σ(x−m)² = 16/9+1/9+25/9 = 42/9, /2 = 7/3
        let x = [1.0, 2.0, 4.0, NAN, 10.0];
        let got = rolling_std(&x, 3, 2);
        // windows: [1] [1,2] [1,2,4] [2,4,N] [4,N,10]
        assert_close(
            &got,
            &[
                NAN,
                0.5_f64.sqrt(),
                (7.0_f64 / 3.0).sqrt(),
                2.0_f64.sqrt(),
                18.0_f64.sqrt(),
            ],
        );
    }

    #[test]
    fn rolling_min_max_with_gaps() {
        let x = [3.0, NAN, 1.0, 5.0, 2.0, NAN, NAN, NAN];
        assert_close(
            &rolling_max(&x, 3, 1),
            &[3.0, 3.0, 3.0, 5.0, 5.0, 5.0, 2.0, NAN],
        );
        assert_close(
            &rolling_min(&x, 3, 2),
            &[NAN, NAN, 1.0, 1.0, 1.0, 2.0, NAN, NAN],
        );
    }

    /// The monotonic-deque rolling extreme (pandas' algorithm): a new value displaces equal or
    /// worse older ones from the back, the front is the window's extreme.
    fn deque_extreme(
        values: &[f64],
        window: usize,
        min_periods: usize,
        displaces: impl Fn(f64, f64) -> bool,
    ) -> Vec<f64> {
        let mut q: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
        let mut nobs = 0usize;
        let mut out = Vec::new();
        for (t, &v) in values.iter().enumerate() {
            if !v.is_nan() {
                nobs += 1;
                while q.back().is_some_and(|&b| displaces(v, values[b])) {
                    q.pop_back();
                }
                q.push_back(t);
            }
            if t >= window && !values[t - window].is_nan() {
                nobs -= 1;
            }
            while q.front().is_some_and(|&f| f < window_start(t, window)) {
                q.pop_front();
            }
            out.push(match q.front() {
                Some(&f) if nobs >= min_periods.max(1) => values[f],
                _ => NAN,
            });
        }
        out
    }

    #[test]
    fn rolling_extremes_equal_the_monotonic_deque() {
        let mut x: u64 = 11;
        let values: Vec<f64> = (0..2000)
            .map(|t| {
                crate::test_support::xorshift(&mut x);
                match t % 53 {
                    0..3 => NAN,
                    // both zeros among equal values: the later one is returned
                    3 | 4 => {
                        if x.is_multiple_of(2) {
                            -0.0
                        } else {
                            0.0
                        }
                    }
                    _ => ((x >> 40) % 9) as f64 - 4.0,
                }
            })
            .chain(std::iter::repeat_n(NAN, 30))
            .chain((0..40).map(|t| t as f64))
            // infinities, as real values among the NaN rows they stand in for
            .chain([
                f64::NEG_INFINITY,
                NAN,
                f64::INFINITY,
                NAN,
                1.0,
                f64::NEG_INFINITY,
            ])
            .chain([NAN, f64::INFINITY, NAN, NAN, -2.0, NAN, NAN])
            .collect();
        for window in [1usize, 2, 3, 7, 10, 64, 320, 1999, 5000] {
            for minp in [0, 1, window.div_ceil(2), window] {
                for (got, want, what) in [
                    (
                        rolling_max(&values, window, minp),
                        deque_extreme(&values, window, minp, |a, b| a >= b),
                        "max",
                    ),
                    (
                        rolling_min(&values, window, minp),
                        deque_extreme(&values, window, minp, |a, b| a <= b),
                        "min",
                    ),
                ] {
                    for (t, (a, b)) in got.iter().zip(&want).enumerate() {
                        assert!(
                            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                            "{what} window {window} min_periods {minp} at {t}: {a} {b}"
                        );
                    }
                }
            }
        }
    }

    /// The obvious O(window) version: the window's values kept sorted.
    fn sorted_window_quantile(
        values: &[f64],
        window: usize,
        min_periods: usize,
        q: f64,
    ) -> Vec<f64> {
        assert!(window >= 1, "rolling window must be >= 1");
        assert!(
            (0.0..=1.0).contains(&q),
            "quantile must be in [0, 1], got {q}"
        );
        let minp = min_periods.max(1);
        // Sorted multiset of the window's non-NaN values.
        let mut sorted: Vec<f64> = Vec::with_capacity(window.min(values.len()));
        let mut out = Vec::with_capacity(values.len());
        for (t, &v) in values.iter().enumerate() {
            if !v.is_nan() {
                let at = sorted.partition_point(|x| x.total_cmp(&v).is_lt());
                sorted.insert(at, v);
            }
            if t >= window {
                let old = values[t - window];
                if !old.is_nan() {
                    let at = sorted.partition_point(|x| x.total_cmp(&old).is_lt());
                    sorted.remove(at);
                }
            }
            let k = sorted.len();
            out.push(if k >= minp {
                if k == 1 {
                    sorted[0]
                } else {
                    let h = q * (k - 1) as f64;
                    let j = h as usize;
                    if h == j as f64 {
                        sorted[j]
                    } else {
                        let (lo, hi) = (sorted[j], sorted[j + 1]);
                        lo + (hi - lo) * (h - j as f64)
                    }
                }
            } else {
                f64::NAN
            });
        }
        out
    }

    #[test]
    fn rolling_quantile_equals_the_sorted_window() {
        let mut x: u64 = 7;
        let values: Vec<f64> = (0..3000)
            .map(|t| {
                crate::test_support::xorshift(&mut x);
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                if t % 97 < 3 {
                    NAN
                } else if t % 89 < 2 {
                    // both zeros: ordered −0 before +0, each returned as itself
                    if t % 2 == 0 { -0.0 } else { 0.0 }
                } else {
                    // repeated values as well as distinct ones
                    (u * 50.0).round() / 10.0 + if t % 5 == 0 { 0.0 } else { u }
                }
            })
            .collect();
        let same = |a: &[f64], b: &[f64], what: &str| {
            assert_eq!(a.len(), b.len());
            for (t, (x, y)) in a.iter().zip(b).enumerate() {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "{what} at {t}: {x} {y}"
                );
            }
        };
        for (window, minp, q) in [
            (250, 3, 0.99),
            (40, 1, 0.5),
            (7, 7, 0.0),
            (100, 10, 1.0),
            (500, 100, 0.05),
            (SORTED_WINDOW_MAX, 3, 0.3),
            (SORTED_WINDOW_MAX + 1, 3, 0.3),
            (2900, 1, 0.05),
            (65, 65, 0.1),
            (100, 1, LOW_QUANTILE_MAX),
            (1000, 5, 0.0),
        ] {
            let what = format!("window {window}, q {q}");
            let a = rolling_quantile(&values, window, minp, q);
            same(&a, &sorted_window_quantile(&values, window, minp, q), &what);
            // both ways of holding the window, whichever rolling_quantile picks
            same(
                &a,
                &rolling_quantile_sorted(&values, window, minp, q),
                &what,
            );
            same(
                &a,
                &rolling_quantile_ranked(&values, window, minp, q),
                &what,
            );
            if q <= LOW_QUANTILE_MAX {
                same(&a, &rolling_quantile_low(&values, window, minp, q), &what);
            }
        }
    }

    /// The low-quantile window through what moves its threshold: a long fall (values keep
    /// coming in below it, so it is lowered), a long rise (the low values leave, so it is chosen
    /// again), long runs of one value and rising steps of equal values (ties at the threshold),
    /// and gaps of NaN.
    #[test]
    fn low_rolling_quantile_follows_trends_and_ties() {
        let values: Vec<f64> = (0..5500)
            .map(|t| match t {
                0..800 => 1000.0 - t as f64,
                800..1900 => 200.0 + (t - 800) as f64 * 0.5,
                1900..2600 => 7.0,
                2600..2700 => NAN,
                2700..3300 => {
                    if t % 3 == 0 {
                        7.0
                    } else {
                        (t % 11) as f64
                    }
                }
                3300..4000 => ((t * 7919) % 613) as f64 / 4.0,
                // rising in steps of 50 equal values: ties where the threshold is chosen
                _ => ((t - 4000) / 50) as f64,
            })
            .collect();
        for (window, minp, q) in [(500, 100, 0.05), (300, 1, 0.0), (120, 10, 0.2)] {
            let want = sorted_window_quantile(&values, window, minp, q);
            let got = rolling_quantile_low(&values, window, minp, q);
            for (t, (x, y)) in got.iter().zip(&want).enumerate() {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "window {window}, q {q}, at {t}: {x} {y}"
                );
            }
        }
    }

    #[test]
    fn rolling_quantile_linear() {
        // window 4 of [4,1,3,2,NaN,10], q = 0.25:
        // t2: [4,1,3] → 1,3,4 → h = 0.5 → 1 + 2·0.5 = 2
        // t3: sorted 1,2,3,4, q=0.25 → h = 0.75 → 1 + 0.75 = 1.75
        // t4: [1,3,2] → 1,2,3 → h = 0.5 → 1.5
        // t5: [3,2,10] → 2,3,10 → 2.5
        let x = [4.0, 1.0, 3.0, 2.0, NAN, 10.0];
        assert_close(
            &rolling_quantile(&x, 4, 3, 0.25),
            &[NAN, NAN, 2.0, 1.75, 1.5, 2.5],
        );
        // Single observation: that value; exact position: no interpolation.
        assert_close(&rolling_quantile(&[7.0, NAN], 2, 1, 0.05), &[7.0, 7.0]);
        assert_close(
            &rolling_quantile(&[1.0, 2.0, 3.0], 3, 3, 0.5),
            &[NAN, NAN, 2.0],
        );
    }
}
