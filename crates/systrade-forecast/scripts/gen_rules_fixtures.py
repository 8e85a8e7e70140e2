# Generates the literals in tests/rules_pandas.rs (pandas 2.1.3, numpy 1.26.4). Run once; output pasted.
# Each function is a direct pandas transcription of the formula in spec §3.2/§3.3.
import numpy as np, pandas as pd
rng = np.random.default_rng(42)
n = 60
p = 100 + np.cumsum(np.round(rng.normal(0, 1, n), 2))
p[[5, 6, 20, 33, 34, 35, 50]] = np.nan
P = pd.Series(p)
x = pd.Series(np.round(np.cumsum(rng.normal(0, 1, n)), 3)); x[[3, 17, 18]] = np.nan
a = pd.Series(np.round(np.cumsum(rng.normal(0, 0.5, n)), 3)); a[[10, 40]] = np.nan
rc = pd.Series(np.round(rng.normal(0.3, 0.2, n), 3)); rc[[0, 1, 7, 30]] = np.nan

def robust_vol_calc(x, days=35, min_periods=10, vol_abs_min=1e-10, vol_floor=True, floor_min_quant=0.05, floor_min_periods=100, floor_days=500, backfill=False):
    vol = x.ewm(adjust=True, span=days, min_periods=min_periods).std()
    vol[vol < vol_abs_min] = vol_abs_min
    if vol_floor:
        vol_min = vol.rolling(min_periods=floor_min_periods, window=floor_days).quantile(q=floor_min_quant)
        vol_min.iloc[0] = 0.0
        vol_min = vol_min.ffill()
        vol = pd.concat([vol, vol_min], axis=1).max(axis=1, skipna=False)
    if backfill:
        vol = vol.bfill()
    return vol

def mixed_vol_calc(r, days, min_periods, slow_vol_years, prop, vol_abs_min=1e-10, backfill=False):
    vol = r.ewm(adjust=True, span=days, min_periods=min_periods).std()
    slow = vol.ewm(adjust=True, span=slow_vol_years * 256).mean()
    v = prop * slow + (1 - prop) * vol
    v[v < vol_abs_min] = vol_abs_min
    if backfill:
        v = v.bfill()
    return v

def ewmac(price, vol, f, s):
    return (price.ewm(span=f, min_periods=1).mean() - price.ewm(span=s, min_periods=1).mean()) / vol.ffill()

def breakout(price, lookback, smooth=None):
    if smooth is None:
        smooth = max(int(lookback / 4.0), 1)
    mp = min(len(price), int(np.ceil(lookback / 2.0)))
    hi = price.rolling(lookback, min_periods=mp).max()
    lo = price.rolling(lookback, min_periods=mp).min()
    raw = 40.0 * (price - (hi + lo) / 2.0) / (hi - lo)
    return raw.ewm(span=smooth, min_periods=int(np.ceil(smooth / 2.0))).mean()

def span_for(h, span):
    if span is None: span = int(h / 4.0)
    return max(span, 2)

def rel_mom(x, a, h, span=None):
    o = x.ffill() - a.ffill()
    o[o == 0] = np.nan
    m = (o - o.shift(h)) / h
    return m.ewm(span=span_for(h, span)).mean()

def cs_mr(x, a, h, span=None):
    o = x.ffill() - a.ffill()
    r = o.diff()
    return -r.rolling(h).mean().ewm(span=span_for(h, span)).mean()

def factor_rule(f, smooth):
    return (f / robust_vol_calc(f)).ewm(span=smooth).mean()

vol = mixed_vol_calc(P.diff(), 5, 3, 0.05, 0.3)
out = {}
out['vol_mixed'] = vol
out['vol_robust_floor'] = robust_vol_calc(P.diff(), days=5, min_periods=3, floor_min_quant=0.25, floor_min_periods=4, floor_days=10)
out['vol_robust_backfill'] = robust_vol_calc(P.diff(), days=5, min_periods=3, floor_min_quant=0.25, floor_min_periods=4, floor_days=10, backfill=True)
out['vol_simple'] = P.diff().rolling(8, min_periods=4).std()
out['ewmac_4_16'] = ewmac(P, vol, 4, 16)
out['ewmac_calc_vol_level'] = ewmac(P, robust_vol_calc(P, 5), 4, 16)
out['ewmac_calc_vol_diff'] = ewmac(P, robust_vol_calc(P.diff(), 5), 4, 16)
out['breakout_10'] = breakout(P, 10)
out['breakout_8_3'] = breakout(P, 8, 3)
e = ewmac(P, vol, 4, 16)
out['accel_4'] = e - e.shift(4)
e2 = ewmac(P, vol, 2, 8)
s = e2.rolling(5000, min_periods=3).std()
e2 = e2.copy(); e2[e2.abs() < 3 * s] = 0.0
out['mr_wings_2'] = -e2
out['carry_5'] = rc.ewm(5).mean()
out['relmom_8'] = rel_mom(x, a, 8)
out['csmr_6'] = cs_mr(x, a, 6)
out['factor_4'] = factor_rule(x, 4)
short = P.iloc[:3]
out['breakout_short'] = breakout(short, 10)

def lit(v):
    return "NAN" if np.isnan(v) else repr(float(v))
def arr(name, s):
    print("const %s: [f64; %d] = [%s];" % (name, len(s), ", ".join(lit(v) for v in s)))
arr("P", P); arr("X", x); arr("A", a); arr("RC", rc)
for k, v in out.items():
    arr(k.upper(), v)
