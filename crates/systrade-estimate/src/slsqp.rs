//! Sequential least-squares quadratic programming, step for step as scipy 1.11's
//! `minimize(method="SLSQP")` runs it (Dieter Kraft's algorithm, `scipy/optimize/_slsqp_py.py`
//! driving `slsqp_optmz.f`), for problems with finite bounds on every variable and equality
//! constraints only — what pysystemtrade's `optimise_from_sigma_and_mean_list`
//! (`sysquant/optimisation/shared.py`) asks of it for the SR adjustment of handcrafted weights.
//!
//! pysystemtrade stops SLSQP at `tol=1e-5`, well before the exact optimum, so its weights can
//! only be reproduced by taking the same steps: the same finite-difference gradients (forward
//! differences of absolute step √ε, taken backwards at an upper bound), the same BFGS updates of
//! the LDLᵀ factors, the same least-squares subproblems (Householder QR, NNLS on the dual of the
//! least-distance problem) and the same L1 line search. The LINPACK helpers keep Fortran's
//! summation order. Indices below follow the Fortran (1-based, column-major) so that the code can
//! be read against it.
//!
//! Provenance: a translation of scipy 1.11.4's `scipy/optimize/slsqp/slsqp_optmz.f` (Dieter
//! Kraft, DFVLR 1988, ACM TOMS algorithm 733; with the LINPACK/Lawson–Hanson routines it
//! includes) and of the driver loop in `scipy/optimize/_slsqp_py.py`, both distributed under
//! scipy's BSD-3-Clause licence. HFTI (the branch without inequality rows) and the exact line
//! search are left out: with finite bounds on every variable and `acc > 0` they are never used.

// The routines keep Fortran's index loops so that they can be checked line by line.
#![allow(clippy::needless_range_loop, clippy::manual_memcpy)]

use crate::EstimateError;

/// A function of the variables (objective or constraint).
pub type Function<'a> = &'a dyn Fn(&[f64]) -> f64;

/// What the run ended with (scipy's `exit_modes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: "Optimization terminated successfully".
    Converged,
    /// Any other mode (2–9): the final iterate is still returned, as scipy does.
    Stopped(i32),
}

/// The result: the last iterate (unclipped, as scipy returns it) and how the run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub x: Vec<f64>,
    pub exit: Exit,
    pub iterations: i32,
}

/// `sqrt(finfo(float).eps)`, scipy's default finite-difference step for SLSQP.
pub const EPSILON: f64 = 1.490_116_119_384_765_6e-8;

/// Minimises `f` over `x` with `lower ≤ x ≤ upper` (finite) and `eq(x) = 0` for each equality
/// constraint, from `x0`, stopping at accuracy `acc` (scipy's `tol`/`ftol`) or after `maxiter`
/// iterations (scipy's default is 100).
///
/// Errors: no variable, bounds of another length than `x0`, a non-finite or crossed bound, more
/// equality constraints than variables, a non-finite `acc`.
pub fn minimize(
    f: Function<'_>,
    eq: &[Function<'_>],
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    acc: f64,
    maxiter: i32,
) -> Result<Solution, EstimateError> {
    let n = x0.len();
    if n == 0 {
        return Err(EstimateError::NoData);
    }
    for (what, v) in [("lower bounds", lower), ("upper bounds", upper)] {
        if v.len() != n {
            return Err(EstimateError::LengthMismatch {
                what,
                expected: n,
                got: v.len(),
            });
        }
    }
    if let Some(i) =
        (0..n).find(|&i| !(lower[i].is_finite() && upper[i].is_finite() && lower[i] <= upper[i]))
    {
        return Err(EstimateError::BadParameter {
            what: "bounds",
            value: upper[i] - lower[i],
        });
    }
    if eq.len() > n {
        return Err(EstimateError::LengthMismatch {
            what: "equality constraints (at most one per variable)",
            expected: n,
            got: eq.len(),
        });
    }
    if !acc.is_finite() {
        return Err(EstimateError::BadParameter {
            what: "acc",
            value: acc,
        });
    }
    let clip = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .enumerate()
            .map(|(i, v)| v.max(lower[i]).min(upper[i]))
            .collect()
    };
    let mut x = clip(x0);
    let m = eq.len();
    let meq = m;
    let la = m.max(1);
    let n1 = n + 1;
    let mineq = m - meq + n1 + n1;
    let len_w = (3 * n1 + m) * (n1 + 1)
        + (n1 - meq + 1) * (mineq + 2)
        + 2 * mineq
        + (n1 + mineq) * (n1 - meq)
        + 2 * meq
        + n1
        + ((n + 1) * n) / 2
        + 2 * m
        + 3 * n
        + 3 * n1
        + 1;
    let grad = |x: &[f64]| -> Vec<f64> {
        let xc = clip(x);
        let f0 = f(&xc);
        let mut g = forward_differences(f, &xc, f0, lower, upper);
        g.push(0.0);
        g
    };
    let constraints = |x: &[f64]| -> Vec<f64> {
        let mut c: Vec<f64> = eq.iter().map(|e| e(x)).collect();
        c.resize(la, 0.0);
        c
    };
    // a(la, n+1), column-major, 1-based: a[(j-1)*la + i]
    let normals = |x: &[f64]| -> Vec<f64> {
        let xc = clip(x);
        let mut a = vec![0.0; la * n1 + 1];
        for (i, e) in eq.iter().enumerate() {
            let c0 = e(&xc);
            let row = forward_differences(*e, &xc, c0, lower, upper);
            for (j, v) in row.iter().enumerate() {
                a[j * la + i + 1] = *v;
            }
        }
        a
    };
    let mut state = State::new(n, m, meq, la, len_w, mineq, acc.abs(), maxiter - 1);
    let mut fx = f(&clip(&x));
    let mut g = grad(&x);
    let mut c = constraints(&x);
    let mut a = normals(&x);
    let xl: Vec<f64> = lower.to_vec();
    let xu: Vec<f64> = upper.to_vec();
    loop {
        state.slsqpb(&mut x, &xl, &xu, fx, &c, &g, &mut a);
        if state.mode == 1 {
            fx = f(&clip(&x));
            c = constraints(&x);
        }
        if state.mode == -1 {
            g = grad(&x);
            a = normals(&x);
        }
        if state.mode.abs() != 1 {
            break;
        }
    }
    Ok(Solution {
        x,
        exit: if state.mode == 0 {
            Exit::Converged
        } else {
            Exit::Stopped(state.mode)
        },
        iterations: state.iter,
    })
}

/// scipy's `approx_derivative(fun, x0, method="2-point", abs_step=EPSILON, bounds)`: forward
/// differences, backwards where the step would leave the bounds.
fn forward_differences(
    fun: &dyn Fn(&[f64]) -> f64,
    x0: &[f64],
    f0: f64,
    lower: &[f64],
    upper: &[f64],
) -> Vec<f64> {
    let n = x0.len();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut h = EPSILON;
        if (x0[i] + h) - x0[i] == 0.0 {
            let sign = if x0[i] >= 0.0 { 1.0 } else { -1.0 };
            h = EPSILON * sign * x0[i].abs().max(1.0);
        }
        let lower_dist = x0[i] - lower[i];
        let upper_dist = upper[i] - x0[i];
        let xh = x0[i] + h;
        let violated = xh < lower[i] || xh > upper[i];
        let fitting = h.abs() <= lower_dist.max(upper_dist);
        if violated && fitting {
            h = -h;
        } else if !fitting {
            h = if upper_dist >= lower_dist {
                upper_dist
            } else {
                -lower_dist
            };
        }
        let mut x = x0.to_vec();
        x[i] = x0[i] + h;
        let dx = x[i] - x0[i];
        out.push((fun(&x) - f0) / dx);
    }
    out
}

/// The Fortran routine's saved variables between reverse-communication calls.
struct State {
    n: usize,
    m: usize,
    meq: usize,
    la: usize,
    acc: f64,
    iter: i32,
    itermx: i32,
    mode: i32,
    alpha: f64,
    f0: f64,
    gs: f64,
    h1: f64,
    h2: f64,
    h3: f64,
    h4: f64,
    t0: f64,
    tol: f64,
    incons: i32,
    ireset: i32,
    line: i32,
    n3: usize,
    badlin: bool,
    // slsqpb's arrays (1-based)
    r: Vec<f64>,
    l: Vec<f64>,
    x0: Vec<f64>,
    mu: Vec<f64>,
    s: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
    jw: Vec<usize>,
}

#[allow(clippy::too_many_arguments)]
impl State {
    fn new(
        n: usize,
        m: usize,
        meq: usize,
        la: usize,
        len_w: usize,
        mineq: usize,
        acc: f64,
        maxiter: i32,
    ) -> Self {
        let n1 = n + 1;
        Self {
            n,
            m,
            meq,
            la,
            acc,
            iter: maxiter,
            itermx: 0,
            mode: 0,
            alpha: 0.0,
            f0: 0.0,
            gs: 0.0,
            h1: 0.0,
            h2: 0.0,
            h3: 0.0,
            h4: 0.0,
            t0: 0.0,
            tol: 0.0,
            incons: 0,
            ireset: 0,
            line: 0,
            n3: 0,
            badlin: false,
            r: vec![0.0; m + n + n + 2 + la + 1],
            l: vec![0.0; n1 * (n1 + 1) / 2 + 2],
            x0: vec![0.0; n + 1],
            mu: vec![0.0; la + 1],
            s: vec![0.0; n1 + 1],
            u: vec![0.0; n1 + 1],
            v: vec![0.0; n1 + 1],
            w: vec![0.0; len_w + 1],
            jw: vec![0; mineq.max(n1) + 1],
        }
    }

    /// `slsqpb` with its GOTOs as a small state machine; `x`, `g` and `a` 0-based for x and
    /// 1-based (with a leading unused slot) for `a`.
    fn slsqpb(
        &mut self,
        x: &mut [f64],
        xl: &[f64],
        xu: &[f64],
        f: f64,
        c: &[f64],
        g: &[f64],
        a: &mut [f64],
    ) {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum At {
            Start,
            Reset,
            Iterate,
            LineSearch,
            LineEval,
            Converge,
            Relaxed,
            Update,
        }
        let (n, m, meq, la) = (self.n, self.m, self.meq, self.la);
        let n1 = n + 1;
        let gg = |i: usize| g[i - 1];
        let cc = |j: usize| c[j - 1];
        let aidx = |i: usize, j: usize| (j - 1) * la + i;
        let mut at = match self.mode {
            0 => At::Start,
            md if md < 0 => At::Update,
            _ => {
                // 220: call functions at current x
                let mut t = f;
                for j in 1..=m {
                    let h1 = if j <= meq { cc(j) } else { 0.0 };
                    t += self.mu[j] * (-cc(j)).max(h1);
                }
                self.h1 = t - self.t0;
                At::LineEval
            }
        };
        loop {
            match at {
                At::Start => {
                    self.itermx = self.iter;
                    self.tol = 10.0 * self.acc;
                    self.iter = 0;
                    self.ireset = 0;
                    self.n3 = n1 * n / 2 + 1;
                    for i in 1..=n {
                        self.s[i] = 0.0;
                    }
                    for j in 1..=m {
                        self.mu[j] = 0.0;
                    }
                    at = At::Reset;
                }
                At::Reset => {
                    self.ireset += 1;
                    if self.ireset > 5 {
                        at = At::Relaxed;
                        continue;
                    }
                    let n2 = n1 * n / 2;
                    for k in 1..=n2 {
                        self.l[k] = 0.0;
                    }
                    let mut j = 1;
                    for i in 1..=n {
                        self.l[j] = 1.0;
                        j += n1 - i;
                    }
                    at = At::Iterate;
                }
                At::Iterate => {
                    self.iter += 1;
                    self.mode = 9;
                    if self.iter > self.itermx {
                        return;
                    }
                    for i in 1..=n {
                        self.u[i] = xl[i - 1] - x[i - 1];
                        self.v[i] = xu[i - 1] - x[i - 1];
                    }
                    self.h4 = 1.0;
                    let mut cvec = vec![0.0; la + 1];
                    for j in 1..=m {
                        cvec[j] = cc(j);
                    }
                    let mut gvec = vec![0.0; n1 + 1];
                    for i in 1..=n1 {
                        gvec[i] = gg(i);
                    }
                    self.mode = lsq(
                        m,
                        meq,
                        n,
                        self.n3,
                        la,
                        &self.l,
                        &gvec,
                        a,
                        &cvec,
                        &self.u,
                        &self.v,
                        &mut self.s,
                        &mut self.r,
                        &mut self.w,
                        &mut self.jw,
                    );
                    self.badlin = false;
                    if self.mode == 6 && n == meq {
                        self.mode = 4;
                    }
                    if self.mode == 4 {
                        self.badlin = true;
                        for j in 1..=m {
                            a[aidx(j, n1)] = if j <= meq { -cc(j) } else { (-cc(j)).max(0.0) };
                        }
                        for i in 1..=n {
                            self.s[i] = 0.0;
                        }
                        self.h3 = 0.0;
                        gvec[n1] = 0.0;
                        self.l[self.n3] = 100.0;
                        self.s[n1] = 1.0;
                        self.u[n1] = 0.0;
                        self.v[n1] = 1.0;
                        self.incons = 0;
                        loop {
                            self.mode = lsq(
                                m,
                                meq,
                                n1,
                                self.n3,
                                la,
                                &self.l,
                                &gvec,
                                a,
                                &cvec,
                                &self.u,
                                &self.v,
                                &mut self.s,
                                &mut self.r,
                                &mut self.w,
                                &mut self.jw,
                            );
                            self.h4 = 1.0 - self.s[n1];
                            if self.mode == 4 {
                                self.l[self.n3] *= 10.0;
                                self.incons += 1;
                                if self.incons > 5 {
                                    return;
                                }
                                continue;
                            }
                            break;
                        }
                        if self.mode != 1 {
                            return;
                        }
                    } else if self.mode != 1 {
                        return;
                    }
                    // update multipliers for L1-test
                    for i in 1..=n {
                        self.v[i] = gg(i) - ddot_seq(m, |k| a[aidx(k, i)], |k| self.r[k], 0.0);
                    }
                    self.f0 = f;
                    for i in 1..=n {
                        self.x0[i] = x[i - 1];
                    }
                    self.gs = ddot_seq(n, gg, |k| self.s[k], 0.0);
                    self.h1 = self.gs.abs();
                    self.h2 = 0.0;
                    for j in 1..=m {
                        self.h3 = if j <= meq { cc(j) } else { 0.0 };
                        self.h2 += (-cc(j)).max(self.h3);
                        self.h3 = self.r[j].abs();
                        self.mu[j] = self.h3.max((self.mu[j] + self.h3) / 2.0);
                        self.h1 += self.h3 * cc(j).abs();
                    }
                    // check convergence
                    self.mode = 0;
                    if self.h1 < self.acc && self.h2 < self.acc && !self.badlin && !f.is_nan() {
                        return;
                    }
                    self.h1 = 0.0;
                    for j in 1..=m {
                        self.h3 = if j <= meq { cc(j) } else { 0.0 };
                        self.h1 += self.mu[j] * (-cc(j)).max(self.h3);
                    }
                    self.t0 = f + self.h1;
                    self.h3 = self.gs - self.h1 * self.h4;
                    self.mode = 8;
                    if self.h3 >= 0.0 {
                        at = At::Reset;
                        continue;
                    }
                    // inexact line search
                    self.line = 0;
                    self.alpha = 1.0;
                    at = At::LineSearch;
                }
                At::LineSearch => {
                    // 190
                    self.line += 1;
                    self.h3 *= self.alpha;
                    dscal(n, self.alpha, &mut self.s[1..]);
                    for i in 1..=n {
                        x[i - 1] = self.x0[i];
                    }
                    daxpy(n, 1.0, &self.s[1..], x);
                    self.mode = 1;
                    return;
                }
                At::LineEval => {
                    // 200
                    if self.h1 <= self.h3 / 10.0 || self.line > 10 {
                        at = At::Converge;
                        continue;
                    }
                    self.alpha = (self.h3 / (2.0 * (self.h3 - self.h1))).max(0.1);
                    at = At::LineSearch;
                }
                // 240 (tolerance acc, else iterate: -1) and 255 (the relaxed tolerance tol, else
                // give up: 8) are the same convergence test
                At::Converge | At::Relaxed => {
                    let (limit, not_yet) = if at == At::Converge {
                        (self.acc, -1)
                    } else {
                        (self.tol, 8)
                    };
                    let mut h3 = 0.0;
                    for j in 1..=m {
                        let h1 = if j <= meq { cc(j) } else { 0.0 };
                        h3 += (-cc(j)).max(h1);
                    }
                    self.h3 = h3;
                    let snorm = dnrm2(n, &self.s[1..]);
                    self.mode = if ((f - self.f0).abs() < limit || snorm < limit)
                        && h3 < limit
                        && !self.badlin
                        && !f.is_nan()
                    {
                        0
                    } else {
                        not_yet
                    };
                    return;
                }
                At::Update => {
                    // 260: BFGS update of the LDL' factors
                    for i in 1..=n {
                        let d = ddot_seq(m, |k| a[aidx(k, i)], |k| self.r[k], 0.0);
                        self.u[i] = gg(i) - d - self.v[i];
                    }
                    let mut k = 0;
                    for i in 1..=n {
                        let mut h1 = 0.0;
                        k += 1;
                        for j in (i + 1)..=n {
                            k += 1;
                            h1 += self.l[k] * self.s[j];
                        }
                        self.v[i] = self.s[i] + h1;
                    }
                    let mut k = 1;
                    for i in 1..=n {
                        self.v[i] *= self.l[k];
                        k += n1 - i;
                    }
                    for i in (1..=n).rev() {
                        let mut h1 = 0.0;
                        let mut k = i;
                        for j in 1..i {
                            h1 += self.l[k] * self.v[j];
                            k += n - j;
                        }
                        self.v[i] += h1;
                    }
                    let mut h1 = ddot_seq(n, |k| self.s[k], |k| self.u[k], 0.0);
                    let h2 = ddot_seq(n, |k| self.s[k], |k| self.v[k], 0.0);
                    let h3 = 0.2 * h2;
                    if h1 < h3 {
                        let h4 = (h2 - h3) / (h2 - h1);
                        h1 = h3;
                        dscal(n, h4, &mut self.u[1..]);
                        let v = self.v.clone();
                        daxpy(n, 1.0 - h4, &v[1..], &mut self.u[1..]);
                    }
                    self.h1 = h1;
                    self.h2 = h2;
                    self.h3 = h3;
                    if h1 == 0.0 || h2 == 0.0 {
                        at = At::Reset;
                        continue;
                    }
                    let mut uu = self.u.clone();
                    let mut vv = self.v.clone();
                    let mut wk = vec![0.0; n + 1];
                    ldl(n, &mut self.l, &mut uu, 1.0 / h1, &mut wk);
                    ldl(n, &mut self.l, &mut vv, -1.0 / h2, &mut wk);
                    self.u = uu;
                    self.v = vv;
                    at = At::Iterate;
                }
            }
        }
    }
}

/// `x**2` as Fortran computes it (`x*x`).
fn sq(x: f64) -> f64 {
    x * x
}

/// Sequential dot product `start + Σ x_k y_k`, k = 1..n (the LINPACK `ddot` sums left to right).
fn ddot_seq(n: usize, x: impl Fn(usize) -> f64, y: impl Fn(usize) -> f64, start: f64) -> f64 {
    let mut t = start;
    for k in 1..=n {
        t += x(k) * y(k);
    }
    t
}

fn dscal(n: usize, da: f64, dx: &mut [f64]) {
    for v in dx.iter_mut().take(n) {
        *v *= da;
    }
}

fn daxpy(n: usize, da: f64, dx: &[f64], dy: &mut [f64]) {
    if n == 0 || da == 0.0 {
        return;
    }
    for i in 0..n {
        dy[i] += da * dx[i];
    }
}

/// LINPACK `dnrm2` (Lawson's four-phase scaled sum) over `x[0..n]`, unit stride.
fn dnrm2(n: usize, x: &[f64]) -> f64 {
    dnrm2_strided(n, |i| x[i - 1])
}

fn dnrm2_strided(n: usize, x: impl Fn(usize) -> f64) -> f64 {
    const CUTLO: f64 = 8.232e-11;
    const CUTHI: f64 = 1.304e19;
    if n == 0 {
        return 0.0;
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Next {
        P30,
        P50,
        P70,
        P110,
    }
    let mut next = Next::P30;
    let mut sum = 0.0f64;
    let mut xmax = 0.0f64;
    let mut i = 1usize;
    loop {
        let xi = x(i);
        // phase dispatch
        let mut go85 = false;
        match next {
            Next::P30 => {
                if xi.abs() > CUTLO {
                    go85 = true;
                } else {
                    next = Next::P50;
                    xmax = 0.0;
                    // fall into 50
                    if xi != 0.0 {
                        if xi.abs() > CUTLO {
                            go85 = true;
                        } else {
                            next = Next::P70;
                            xmax = xi.abs();
                            sum += sq(xi / xmax);
                        }
                    }
                }
            }
            Next::P50 => {
                if xi != 0.0 {
                    if xi.abs() > CUTLO {
                        go85 = true;
                    } else {
                        next = Next::P70;
                        xmax = xi.abs();
                        sum += sq(xi / xmax);
                    }
                }
            }
            Next::P70 => {
                if xi.abs() > CUTLO {
                    sum = (sum * xmax) * xmax;
                    go85 = true;
                } else if xi.abs() <= xmax {
                    sum += sq(xi / xmax);
                } else {
                    sum = 1.0 + sum * sq(xmax / xi);
                    xmax = xi.abs();
                }
            }
            Next::P110 => {
                if xi.abs() <= xmax {
                    sum += sq(xi / xmax);
                } else {
                    sum = 1.0 + sum * sq(xmax / xi);
                    xmax = xi.abs();
                }
            }
        }
        if go85 {
            // phase 3: mid-range, no scaling
            let hitest = CUTHI / n as f64;
            let mut j = i;
            let mut to_phase4 = None;
            while j <= n {
                if x(j).abs() >= hitest {
                    to_phase4 = Some(j);
                    break;
                }
                sum += sq(x(j));
                j += 1;
            }
            match to_phase4 {
                None => return sum.sqrt(),
                Some(j) => {
                    // 100: prepare for phase 4
                    i = j;
                    next = Next::P110;
                    let xj = x(i);
                    sum = (sum / xj) / xj;
                    xmax = xj.abs();
                    sum += sq(xj / xmax);
                }
            }
        }
        i += 1;
        if i > n {
            break;
        }
    }
    xmax * sum.sqrt()
}

/// `ldl`: LDLᵀ rank-one update of `a` (packed lower triangle, 1-based) by `sigma z zᵀ`.
fn ldl(n: usize, a: &mut [f64], z: &mut [f64], sigma: f64, w: &mut [f64]) {
    const EPMACH: f64 = 2.22e-16;
    if sigma == 0.0 {
        return;
    }
    let mut ij = 1usize;
    let mut t = 1.0 / sigma;
    if sigma <= 0.0 {
        for i in 1..=n {
            w[i] = z[i];
        }
        for i in 1..=n {
            let v = w[i];
            t += v * v / a[ij];
            for j in (i + 1)..=n {
                ij += 1;
                w[j] -= v * a[ij];
            }
            ij += 1;
        }
        if t >= 0.0 {
            t = EPMACH / sigma;
        }
        for i in 1..=n {
            let j = n + 1 - i;
            ij -= i;
            let u = w[j];
            w[j] = t;
            t -= u * u / a[ij];
        }
    }
    for i in 1..=n {
        let v = z[i];
        let delta = v / a[ij];
        let tp = if sigma < 0.0 { w[i] } else { t + delta * v };
        let alpha = tp / t;
        a[ij] *= alpha;
        if i == n {
            return;
        }
        let beta = delta / tp;
        if alpha > 4.0 {
            let gamma = t / tp;
            for j in (i + 1)..=n {
                ij += 1;
                let u = a[ij];
                a[ij] = gamma * u + beta * z[j];
                z[j] -= v * u;
            }
        } else {
            for j in (i + 1)..=n {
                ij += 1;
                z[j] -= v * a[ij];
                a[ij] += beta * z[j];
            }
        }
        ij += 1;
        t = tp;
    }
}

/// `h12` on one flat 1-based array: construct (mode 1) and/or apply the Householder
/// transformation whose pivot vector starts at `u0` with stride `iue`, to `ncv` vectors starting at
/// `c0` (element stride `ice`, vector stride `icv`) — in the same array (`target = None`) or in
/// `target`.
#[allow(clippy::too_many_arguments)]
fn h12(
    mode: i32,
    lpivot: usize,
    l1: usize,
    m: usize,
    arr: &mut [f64],
    u0: usize,
    iue: usize,
    up: &mut f64,
    target: Option<&mut [f64]>,
    c0: usize,
    ice: usize,
    icv: usize,
    ncv: usize,
) {
    if lpivot == 0 || lpivot >= l1 || l1 > m {
        return;
    }
    let ui = |j: usize| u0 + (j - 1) * iue;
    let mut cl = arr[ui(lpivot)].abs();
    if mode != 2 {
        for j in l1..=m {
            cl = cl.max(arr[ui(j)].abs());
        }
        if cl <= 0.0 {
            return;
        }
        let clinv = 1.0 / cl;
        let mut sm = sq(arr[ui(lpivot)] * clinv);
        for j in l1..=m {
            sm += sq(arr[ui(j)] * clinv);
        }
        cl *= sm.sqrt();
        if arr[ui(lpivot)] > 0.0 {
            cl = -cl;
        }
        *up = arr[ui(lpivot)] - cl;
        arr[ui(lpivot)] = cl;
    } else if cl <= 0.0 {
        return;
    }
    if ncv == 0 {
        return;
    }
    let upiv = arr[ui(lpivot)];
    let b = *up * upiv;
    if b >= 0.0 {
        return;
    }
    let b = 1.0 / b;
    let uvals: Vec<f64> = (l1..=m).map(|i| arr[ui(i)]).collect();
    let c: &mut [f64] = match target {
        Some(t) => t,
        None => arr,
    };
    // Fortran c(i2) with c(1) at c0
    let at = |k: isize| (c0 as isize + k - 1) as usize;
    let mut i2 = 1 - icv as isize + (ice * (lpivot - 1)) as isize;
    let incr = (ice * (l1 - lpivot)) as isize;
    for _ in 1..=ncv {
        i2 += icv as isize;
        let mut i3 = i2 + incr;
        let mut i4 = i3;
        let mut sm = c[at(i2)] * *up;
        for uv in &uvals {
            sm += c[at(i3)] * uv;
            i3 += ice as isize;
        }
        if sm == 0.0 {
            continue;
        }
        sm *= b;
        c[at(i2)] += sm * *up;
        for uv in &uvals {
            c[at(i4)] += sm * uv;
            i4 += ice as isize;
        }
    }
}

/// Strided dot product inside one array (`ddot_sl` with increments).
fn ddot_in(n: usize, a: &[f64], ix: usize, incx: usize, b: &[f64], iy: usize, incy: usize) -> f64 {
    let mut t = 0.0;
    for k in 0..n {
        t += a[ix + k * incx] * b[iy + k * incy];
    }
    t
}

/// `lsq`: the QP subproblem as a least-squares problem with the bounds as inequalities; returns
/// the mode (1 = solved). `l`, `g`, `b`, `xl`, `xu`, `x`, `y`, `w`, `jw` 1-based; `a(la, ·)`
/// column-major 1-based.
#[allow(clippy::too_many_arguments)]
fn lsq(
    m: usize,
    meq: usize,
    n: usize,
    nl: usize,
    la: usize,
    l: &[f64],
    g: &[f64],
    a: &[f64],
    b: &[f64],
    xl: &[f64],
    xu: &[f64],
    x: &mut [f64],
    y: &mut [f64],
    w: &mut [f64],
    jw: &mut [usize],
) -> i32 {
    let n1 = n + 1;
    let mineq = m - meq;
    let m1 = mineq + n + n;
    let n2 = if n1 * n / 2 + 1 == nl { 0 } else { 1 };
    let n3 = n - n2;
    // recover matrix E and vector F from L and G
    let mut i2 = 1;
    let mut i3 = 1;
    let mut i4 = 1;
    let ie = 1;
    let if_ = n * n + 1;
    for i in 1..=n3 {
        let i1 = n1 - i;
        let diag = l[i2].sqrt();
        for k in 0..i1 {
            w[i3 + k] = 0.0;
        }
        for k in 0..(i1 - n2) {
            w[i3 + k * n] = l[i2 + k];
        }
        for k in 0..(i1 - n2) {
            w[i3 + k * n] *= diag;
        }
        w[i3] = diag;
        let d = ddot_in(i - 1, w, i4, 1, w, if_, 1);
        w[if_ - 1 + i] = (g[i] - d) / diag;
        i2 += i1 - n2;
        i3 += n1;
        i4 += n;
    }
    if n2 == 1 {
        w[i3] = l[nl];
        for k in 0..n3 {
            w[i4 + k] = 0.0;
        }
        w[if_ - 1 + n] = 0.0;
    }
    for k in 0..n {
        w[if_ + k] *= -1.0;
    }
    let ic = if_ + n;
    let id = ic + meq * n;
    if meq > 0 {
        for i in 1..=meq {
            for k in 0..n {
                w[ic - 1 + i + k * meq] = a[i + k * la];
            }
        }
        for k in 0..meq {
            w[id + k] = -b[1 + k];
        }
    }
    let ig = id + meq;
    if mineq > 0 {
        for i in 1..=mineq {
            for k in 0..n {
                w[ig - 1 + i + k * m1] = a[meq + i + k * la];
            }
        }
    }
    let ih = ig + m1 * n;
    let iw = ih + mineq + 2 * n;
    if mineq > 0 {
        for k in 0..mineq {
            w[ih + k] = -b[meq + 1 + k];
        }
    }
    let mut ip = ig + mineq;
    let mut il = ih + mineq;
    let mut nancnt = 0;
    for i in 1..=n {
        if !xl[i].is_nan() {
            w[il] = xl[i];
            for j in 1..=n {
                w[ip + m1 * (j - 1)] = 0.0;
            }
            w[ip + m1 * (i - 1)] = 1.0;
            ip += 1;
            il += 1;
        } else {
            nancnt += 1;
        }
    }
    for i in 1..=n {
        if !xu[i].is_nan() {
            w[il] = -xu[i];
            for j in 1..=n {
                w[ip + m1 * (j - 1)] = 0.0;
            }
            w[ip + m1 * (i - 1)] = -1.0;
            ip += 1;
            il += 1;
        } else {
            nancnt += 1;
        }
    }
    let mut xnorm = 0.0;
    let mode = lsei(
        w,
        ic,
        id,
        ie,
        if_,
        ig,
        ih,
        meq.max(1),
        meq,
        n,
        n,
        m1,
        m1 - nancnt,
        n,
        x,
        &mut xnorm,
        iw,
        jw,
    );
    if mode == 1 {
        for k in 0..m {
            y[1 + k] = w[iw + k];
        }
        if n3 > 0 {
            for i in (m + 1)..=(m + n3 + n3) {
                y[i] = f64::NAN;
            }
        }
    }
    // bound(n, x, xl, xu)
    for i in 1..=n {
        if !xl[i].is_nan() && x[i] < xl[i] {
            x[i] = xl[i];
        } else if !xu[i].is_nan() && x[i] > xu[i] {
            x[i] = xu[i];
        }
    }
    mode
}

/// `lsei` with every matrix inside the one work array `w` (1-based offsets of their (1,1)
/// elements) and the solution in `x` (1-based).
#[allow(clippy::too_many_arguments)]
fn lsei(
    w: &mut [f64],
    c: usize,
    d: usize,
    e: usize,
    f: usize,
    g: usize,
    h: usize,
    lc: usize,
    mc: usize,
    le: usize,
    me: usize,
    lg: usize,
    mg: usize,
    n: usize,
    x: &mut [f64],
    xnrm: &mut f64,
    ws: usize,
    jw: &mut [usize],
) -> i32 {
    const EPMACH: f64 = 2.22e-16;
    if mc > n {
        return 2;
    }
    let l = n - mc;
    let mc1 = mc + 1;
    let iw = (l + 1) * (mg + 2) + 2 * mg + mc;
    let ie = iw + mc + 1;
    let if_ = ie + me * l;
    let ig = if_ + me;
    let cij = |i: usize, j: usize| c + (j - 1) * lc + (i - 1);
    let eij = |i: usize, j: usize| e + (j - 1) * le + (i - 1);
    let gij = |i: usize, j: usize| g + (j - 1) * lg + (i - 1);
    let wk = |k: usize| ws + k - 1; // lsei's w(k)
    // triangularize C and apply factors to E and G
    for i in 1..=mc {
        let j = (i + 1).min(lc);
        let mut up = w[wk(iw + i)];
        h12(
            1,
            i,
            i + 1,
            n,
            w,
            cij(i, 1),
            lc,
            &mut up,
            None,
            cij(j, 1),
            lc,
            1,
            mc - i,
        );
        h12(
            2,
            i,
            i + 1,
            n,
            w,
            cij(i, 1),
            lc,
            &mut up,
            None,
            e,
            le,
            1,
            me,
        );
        h12(
            2,
            i,
            i + 1,
            n,
            w,
            cij(i, 1),
            lc,
            &mut up,
            None,
            g,
            lg,
            1,
            mg,
        );
        w[wk(iw + i)] = up;
    }
    // solve C*x = d and modify f
    for i in 1..=mc {
        if w[cij(i, i)].abs() < EPMACH {
            return 6;
        }
        let mut t = 0.0;
        for k in 1..i {
            t += w[cij(i, k)] * x[k];
        }
        x[i] = (w[d + i - 1] - t) / w[cij(i, i)];
    }
    w[wk(mc1)] = 0.0;
    for k in 0..(mg.saturating_sub(mc)) {
        w[wk(mc1) + k] = 0.0;
    }
    if mc == n {
        return lsei_finish(w, c, d, e, f, g, lc, mc, le, me, lg, mg, n, x, ws, 1);
    }
    for i in 1..=me {
        let mut t = 0.0;
        for k in 1..=mc {
            t += w[eij(i, k)] * x[k];
        }
        w[wk(if_ - 1 + i)] = w[f + i - 1] - t;
    }
    // store transformed E & G
    for i in 1..=me {
        for k in 0..l {
            w[wk(ie - 1 + i) + k * me] = w[eij(i, mc1 + k)];
        }
    }
    for i in 1..=mg {
        for k in 0..l {
            w[wk(ig - 1 + i) + k * mg] = w[gij(i, mc1 + k)];
        }
    }
    if mg == 0 {
        // least squares without inequality constraints (HFTI): never reached with bounds
        return 7;
    }
    // modify h and solve the inequality constrained LS problem
    for i in 1..=mg {
        let mut t = 0.0;
        for k in 1..=mc {
            t += w[gij(i, k)] * x[k];
        }
        w[h + i - 1] -= t;
    }
    let mut sub = vec![0.0; l + 1];
    let mode = lsi(
        w,
        wk(ie),
        wk(if_),
        wk(ig),
        h,
        me,
        me,
        mg,
        mg,
        l,
        &mut sub,
        xnrm,
        wk(mc1),
        jw,
    );
    for k in 1..=l {
        x[mc + k] = sub[k];
    }
    if mc == 0 {
        return mode;
    }
    let t = dnrm2_strided(mc, |k| x[k]);
    *xnrm = (*xnrm * *xnrm + t * t).sqrt();
    if mode != 1 {
        return mode;
    }
    lsei_finish(w, c, d, e, f, g, lc, mc, le, me, lg, mg, n, x, ws, 1)
}

/// `lsei` label 50: the solution of the original problem and the Lagrange multipliers.
#[allow(clippy::too_many_arguments)]
fn lsei_finish(
    w: &mut [f64],
    c: usize,
    d: usize,
    e: usize,
    f: usize,
    g: usize,
    lc: usize,
    mc: usize,
    le: usize,
    me: usize,
    lg: usize,
    mg: usize,
    n: usize,
    x: &mut [f64],
    ws: usize,
    mode: i32,
) -> i32 {
    let cij = |i: usize, j: usize| c + (j - 1) * lc + (i - 1);
    let eij = |i: usize, j: usize| e + (j - 1) * le + (i - 1);
    let gij = |i: usize, j: usize| g + (j - 1) * lg + (i - 1);
    let wk = |k: usize| ws + k - 1;
    let l = n - mc;
    let iw = (l + 1) * (mg + 2) + 2 * mg + mc;
    let mc1 = mc + 1;
    for i in 1..=me {
        let mut t = 0.0;
        for k in 1..=n {
            t += w[eij(i, k)] * x[k];
        }
        w[f + i - 1] = t - w[f + i - 1];
    }
    for i in 1..=mc {
        let mut t1 = 0.0;
        for k in 1..=me {
            t1 += w[eij(k, i)] * w[f + k - 1];
        }
        let mut t2 = 0.0;
        for k in 1..=mg {
            t2 += w[gij(k, i)] * w[wk(mc1) + k - 1];
        }
        w[d + i - 1] = t1 - t2;
    }
    for i in (1..=mc).rev() {
        let mut up = w[wk(iw + i)];
        h12(
            2,
            i,
            i + 1,
            n,
            w,
            cij(i, 1),
            lc,
            &mut up,
            Some(x),
            1,
            1,
            1,
            1,
        );
        w[wk(iw + i)] = up;
    }
    for i in (1..=mc).rev() {
        let j = (i + 1).min(lc);
        let mut t = 0.0;
        for k in 0..(mc - i) {
            t += w[cij(j, i) + k] * w[wk(j) + k];
        }
        w[wk(i)] = (w[d + i - 1] - t) / w[cij(i, i)];
    }
    mode
}

/// `lsi`: inequality-constrained least squares, `e`, `f`, `g`, `h` and the work area `ws` inside
/// `w`; the solution in `x` (1-based, length n).
#[allow(clippy::too_many_arguments)]
fn lsi(
    w: &mut [f64],
    e: usize,
    f: usize,
    g: usize,
    h: usize,
    le: usize,
    me: usize,
    lg: usize,
    mg: usize,
    n: usize,
    x: &mut [f64],
    xnorm: &mut f64,
    ws: usize,
    jw: &mut [usize],
) -> i32 {
    const EPMACH: f64 = 2.22e-16;
    let eij = |i: usize, j: usize| e + (j - 1) * le + (i - 1);
    let gij = |i: usize, j: usize| g + (j - 1) * lg + (i - 1);
    // QR factors of E and application to f
    for i in 1..=n {
        let j = (i + 1).min(n);
        let mut t = 0.0;
        h12(
            1,
            i,
            i + 1,
            me,
            w,
            eij(1, i),
            1,
            &mut t,
            None,
            eij(1, j),
            1,
            le,
            n - i,
        );
        h12(2, i, i + 1, me, w, eij(1, i), 1, &mut t, None, f, 1, 1, 1);
    }
    // transform G and h to get the least distance problem
    for i in 1..=mg {
        for j in 1..=n {
            if w[eij(j, j)].abs() < EPMACH || w[eij(j, j)].is_nan() {
                return 5;
            }
            let mut t = 0.0;
            for k in 1..j {
                t += w[gij(i, k)] * w[eij(k, j)];
            }
            w[gij(i, j)] = (w[gij(i, j)] - t) / w[eij(j, j)];
        }
        let mut t = 0.0;
        for k in 1..=n {
            t += w[gij(i, k)] * w[f + k - 1];
        }
        w[h + i - 1] -= t;
    }
    let mode = ldp(w, g, lg, mg, n, h, x, xnorm, ws, jw);
    if mode != 1 {
        return mode;
    }
    for k in 1..=n {
        x[k] += w[f + k - 1];
    }
    for i in (1..=n).rev() {
        let j = (i + 1).min(n);
        let mut t = 0.0;
        for k in 0..(n - i) {
            t += w[eij(i, j) + k * le] * x[j + k];
        }
        x[i] = (x[i] - t) / w[eij(i, i)];
    }
    let j = (n + 1).min(me);
    let t = dnrm2_strided(me.saturating_sub(n), |k| w[f + j - 1 + k - 1]);
    *xnorm = (*xnorm * *xnorm + t * t).sqrt();
    mode
}

/// `ldp`: least distance programming via NNLS on its dual.
#[allow(clippy::too_many_arguments)]
fn ldp(
    w: &mut [f64],
    g: usize,
    mg: usize,
    m: usize,
    n: usize,
    h: usize,
    x: &mut [f64],
    xnorm: &mut f64,
    ws: usize,
    index: &mut [usize],
) -> i32 {
    if n == 0 {
        return 2;
    }
    let gij = |i: usize, j: usize| g + (j - 1) * mg + (i - 1);
    let wk = |k: usize| ws + k - 1;
    for k in 1..=n {
        x[k] = 0.0;
    }
    *xnorm = 0.0;
    if m == 0 {
        return 1;
    }
    let mut iw = 0;
    for j in 1..=m {
        for i in 1..=n {
            iw += 1;
            w[wk(iw)] = w[gij(j, i)];
        }
        iw += 1;
        w[wk(iw)] = w[h + j - 1];
    }
    let if_ = iw + 1;
    for _ in 1..=n {
        iw += 1;
        w[wk(iw)] = 0.0;
    }
    w[wk(iw + 1)] = 1.0;
    let n1 = n + 1;
    let iz = iw + 2;
    let iy = iz + n1;
    let iwdual = iy + m;
    let mut rnorm = 0.0;
    let mode = nnls(
        w,
        wk(1),
        n1,
        n1,
        m,
        wk(if_),
        wk(iy),
        &mut rnorm,
        wk(iwdual),
        wk(iz),
        index,
    );
    if mode != 1 {
        return mode;
    }
    if rnorm <= 0.0 {
        return 4;
    }
    let mut t = 0.0;
    for k in 1..=m {
        t += w[h + k - 1] * w[wk(iy) + k - 1];
    }
    let fac = 1.0 - t;
    if ((1.0 + fac) - 1.0).partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return 4;
    }
    let fac = 1.0 / fac;
    for j in 1..=n {
        let mut t = 0.0;
        for k in 1..=m {
            t += w[gij(k, j)] * w[wk(iy) + k - 1];
        }
        x[j] = fac * t;
    }
    *xnorm = dnrm2_strided(n, |k| x[k]);
    for k in 1..=m {
        w[wk(k)] = 0.0;
    }
    for k in 1..=m {
        w[wk(k)] += fac * w[wk(iy) + k - 1];
    }
    1
}

/// `nnls` (Lawson & Hanson) with `a(mda, n)`, `b`, `x`, `w`, `z` inside one array (1-based
/// offsets); returns the mode and sets `rnorm`.
#[allow(clippy::too_many_arguments)]
fn nnls(
    arr: &mut [f64],
    a: usize,
    mda: usize,
    m: usize,
    n: usize,
    b: usize,
    x: usize,
    rnorm: &mut f64,
    w: usize,
    z: usize,
    index: &mut [usize],
) -> i32 {
    const FACTOR: f64 = 1.0e-2;
    if m == 0 || n == 0 {
        return 2;
    }
    let aij = |i: usize, j: usize| a + (j - 1) * mda + (i - 1);
    let bi = |i: usize| b + i - 1;
    let xi = |i: usize| x + i - 1;
    let wi = |i: usize| w + i - 1;
    let zi = |i: usize| z + i - 1;
    let mut mode = 1;
    let mut iter = 0;
    let itmax = 3 * n;
    for i in 1..=n {
        index[i] = i;
    }
    let mut iz1 = 1usize;
    let iz2 = n;
    let mut nsetp = 0usize;
    let mut npp1 = 1usize;
    for i in 1..=n {
        arr[xi(i)] = 0.0;
    }
    let mut jj = 0usize;
    'main: loop {
        // 110: compute dual variables
        if iz1 > iz2 || nsetp >= m {
            break 'main;
        }
        for iz in iz1..=iz2 {
            let j = index[iz];
            let mut t = 0.0;
            for k in 0..(m - nsetp) {
                t += arr[aij(npp1, j) + k] * arr[bi(npp1) + k];
            }
            arr[wi(j)] = t;
        }
        // 130: test dual variables
        let (j, iz) = loop {
            let mut wmax = 0.0;
            let mut izmax = 0;
            for iz in iz1..=iz2 {
                let j = index[iz];
                if arr[wi(j)] > wmax {
                    wmax = arr[wi(j)];
                    izmax = iz;
                }
            }
            if wmax <= 0.0 {
                break 'main;
            }
            let iz = izmax;
            let j = index[iz];
            // step four: test index j for linear dependency
            let asave = arr[aij(npp1, j)];
            let mut up = 0.0;
            h12(
                1,
                npp1,
                npp1 + 1,
                m,
                arr,
                aij(1, j),
                1,
                &mut up,
                None,
                z,
                1,
                1,
                0,
            );
            let unorm = dnrm2_strided(nsetp, |k| arr[aij(1, j) + k - 1]);
            let t = FACTOR * arr[aij(npp1, j)].abs();
            let mut accept = false;
            if (unorm + t) - unorm > 0.0 {
                for k in 1..=m {
                    arr[zi(k)] = arr[bi(k)];
                }
                h12(
                    2,
                    npp1,
                    npp1 + 1,
                    m,
                    arr,
                    aij(1, j),
                    1,
                    &mut up,
                    None,
                    z,
                    1,
                    1,
                    1,
                );
                if arr[zi(npp1)] / arr[aij(npp1, j)] > 0.0 {
                    accept = true;
                }
            }
            if accept {
                // step five: add column (up kept for the other columns)
                for k in 1..=m {
                    arr[bi(k)] = arr[zi(k)];
                }
                index[iz] = index[iz1];
                index[iz1] = j;
                iz1 += 1;
                nsetp = npp1;
                npp1 += 1;
                for jz in iz1..=iz2 {
                    let jj2 = index[jz];
                    h12(
                        2,
                        nsetp,
                        npp1,
                        m,
                        arr,
                        aij(1, j),
                        1,
                        &mut up,
                        None,
                        aij(1, jj2),
                        1,
                        mda,
                        1,
                    );
                }
                break (j, iz);
            }
            arr[aij(npp1, j)] = asave;
            arr[wi(j)] = 0.0;
        };
        let _ = iz;
        let k = npp1.min(mda);
        arr[wi(j)] = 0.0;
        for q in 0..(m - nsetp) {
            arr[aij(k, j) + q] = 0.0;
        }
        // 180: solve least squares sub-problem (loop B)
        loop {
            for ip in (1..=nsetp).rev() {
                if ip != nsetp {
                    let zz = arr[zi(ip + 1)];
                    for q in 0..ip {
                        let v = arr[aij(1, jj) + q];
                        if zz != 0.0 {
                            arr[zi(1) + q] += -zz * v;
                        }
                    }
                }
                jj = index[ip];
                arr[zi(ip)] /= arr[aij(ip, jj)];
            }
            iter += 1;
            if iter > itmax {
                mode = 3;
                break 'main;
            }
            // steps seven to ten: step length
            let mut alpha = 1.0;
            jj = 0;
            for ip in 1..=nsetp {
                if arr[zi(ip)] > 0.0 {
                    continue;
                }
                let l = index[ip];
                let t = -arr[xi(l)] / (arr[zi(ip)] - arr[xi(l)]);
                if alpha < t {
                    continue;
                }
                alpha = t;
                jj = ip;
            }
            for ip in 1..=nsetp {
                let l = index[ip];
                arr[xi(l)] = (1.0 - alpha) * arr[xi(l)] + alpha * arr[zi(ip)];
            }
            if jj == 0 {
                continue 'main;
            }
            // step eleven: delete column
            let mut i = index[jj];
            loop {
                arr[xi(i)] = 0.0;
                jj += 1;
                for j in jj..=nsetp {
                    let ii = index[j];
                    index[j - 1] = ii;
                    let (mut da, mut db) = (arr[aij(j - 1, ii)], arr[aij(j, ii)]);
                    let (c, s) = dsrotg(&mut da, &mut db);
                    arr[aij(j - 1, ii)] = da;
                    arr[aij(j, ii)] = db;
                    let t = arr[aij(j - 1, ii)];
                    for q in 0..n {
                        let px = aij(j - 1, 1) + q * mda;
                        let py = aij(j, 1) + q * mda;
                        let dtemp = c * arr[px] + s * arr[py];
                        arr[py] = c * arr[py] - s * arr[px];
                        arr[px] = dtemp;
                    }
                    arr[aij(j - 1, ii)] = t;
                    arr[aij(j, ii)] = 0.0;
                    let (px, py) = (bi(j - 1), bi(j));
                    let dtemp = c * arr[px] + s * arr[py];
                    arr[py] = c * arr[py] - s * arr[px];
                    arr[px] = dtemp;
                }
                npp1 = nsetp;
                nsetp -= 1;
                iz1 -= 1;
                index[iz1] = i;
                if nsetp == 0 {
                    mode = 3;
                    break 'main;
                }
                let mut again = None;
                for q in 1..=nsetp {
                    let ii = index[q];
                    if arr[xi(ii)] <= 0.0 {
                        again = Some(q);
                        break;
                    }
                }
                match again {
                    Some(q) => {
                        jj = q;
                        i = index[q];
                    }
                    None => break,
                }
            }
            for k in 1..=m {
                arr[zi(k)] = arr[bi(k)];
            }
        }
    }
    // 280: solution
    let k = npp1.min(m);
    *rnorm = dnrm2_strided(m.saturating_sub(nsetp), |q| arr[bi(k) + q - 1]);
    if npp1 > m {
        for i in 1..=n {
            arr[wi(i)] = 0.0;
        }
    }
    mode
}

/// LINPACK `drotg` as in `slsqp_optmz.f` (`dsrotg`): returns `(c, s)` and overwrites `da` with
/// `r`, `db` with `z`.
fn dsrotg(da: &mut f64, db: &mut f64) -> (f64, f64) {
    let roe = if da.abs() > db.abs() { *da } else { *db };
    let scale = da.abs() + db.abs();
    let (c, s, r);
    if scale == 0.0 {
        c = 1.0;
        s = 0.0;
        r = 0.0;
    } else {
        let rr = scale * (sq(*da / scale) + sq(*db / scale)).sqrt();
        r = if roe >= 0.0 { rr } else { -rr };
        c = *da / r;
        s = *db / r;
    }
    let mut z = s;
    if c.abs() > 0.0 && c.abs() <= s {
        z = 1.0 / c;
    }
    *da = r;
    *db = z;
    (c, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A paraboloid with an equality constraint and bounds (scipy's own SLSQP example):
    /// min (x−1)² + (y−2.5)² s.t. x + y = 1, 0 ≤ x, y ≤ 1 → (0, 1) at the corner.
    #[test]
    fn small_problems_reach_their_optimum() {
        let f = |x: &[f64]| sq(x[0] - 1.0) + sq(x[1] - 2.5);
        let eq = |x: &[f64]| 1.0 - (x[0] + x[1]);
        let s = minimize(
            &f,
            &[&eq],
            &[0.5, 0.5],
            &[0.0, 0.0],
            &[1.0, 1.0],
            1e-10,
            100,
        )
        .unwrap();
        assert_eq!(s.exit, Exit::Converged);
        assert!(
            (s.x[0] - 0.0).abs() < 1e-6 && (s.x[1] - 1.0).abs() < 1e-6,
            "{s:?}"
        );
        // interior optimum: min (x−0.2)² + (y−0.8)² + x y with x + y = 1
        let f = |x: &[f64]| sq(x[0] - 0.2) + sq(x[1] - 0.8);
        let s = minimize(
            &f,
            &[&eq],
            &[0.5, 0.5],
            &[0.0, 0.0],
            &[1.0, 1.0],
            1e-10,
            100,
        )
        .unwrap();
        assert!((s.x[0] - 0.2).abs() < 1e-6, "{s:?}");
        // NaN objective: stops without panicking
        let f = |_: &[f64]| f64::NAN;
        let s = minimize(&f, &[&eq], &[0.5, 0.5], &[0.0, 0.0], &[1.0, 1.0], 1e-5, 100).unwrap();
        assert_ne!(s.exit, Exit::Converged);
        // bad shapes are errors, not panics
        assert!(minimize(&f, &[&eq], &[], &[], &[], 1e-5, 100).is_err());
        assert!(minimize(&f, &[&eq], &[0.5, 0.5], &[0.0], &[1.0, 1.0], 1e-5, 100).is_err());
        let first = |x: &[f64]| x[0];
        assert!(minimize(&f, &[&first, &first], &[0.5], &[0.0], &[1.0], 1e-5, 100).is_err());
        let inf = f64::INFINITY;
        assert!(minimize(&f, &[&eq], &[0.5, 0.5], &[0.0, 0.0], &[1.0, inf], 1e-5, 100).is_err());
    }

    /// scipy 1.11.4's `minimize(neg_SR, [0.5, 0.5], method="SLSQP", bounds=[(0, 1)] * 2,
    /// constraints=[{"type": "eq", "fun": addem}], tol=1e-5)` on pysystemtrade's two-asset
    /// problem (σ = 0.15, means (m1, 0.075), correlation ρ): its first weight, printed by scipy.
    /// The objective rounds as numpy's does (see `two_asset_max_sharpe`), so the same steps are
    /// taken to the last bit.
    #[test]
    fn replays_scipy_on_pysystemtrades_two_asset_problem() {
        let cases = [
            (0.1, 0.0, 0.5713092210281173),
            (0.09, 0.4241266806604888, 0.611561964801367),
            (0.05, 0.5, 0.2015282436496889),
            (0.2, 0.3, 0.9225056764488898),
            (0.0801, 0.9, 0.8100819252919095),
            (-0.01, 0.2, 0.0),
            (0.11, -0.3, 0.5511425315534638),
        ];
        for (m1, rho, expected) in cases {
            let got = crate::handcraft::two_asset_max_sharpe(m1, 0.075, rho);
            assert!(
                (got - expected).abs() < 1e-15,
                "m1 {m1}, rho {rho}: got {got}, scipy {expected}"
            );
        }
    }
}
