# Generates the literals in tests/real_data_pandas.rs (pandas 2.1.3, numpy 1.26.4), run once.
# Transcribes spec §3.2 (carry inputs, mixed vol) and §3.3 (ewmac, breakout, accel, carry) into pandas
# and evaluates them on pysystemtrade's shipped data (../shared/pst-data) for a few instruments;
# prints values at sample dates plus the count of non-NaN values. CSV floats are parsed exactly
# (float_precision="round_trip"), as systrade does.
import numpy as np, pandas as pd
D = '/work/shared/pst-data'
def read(kind, code):
    return pd.read_csv(f'{D}/{kind}/{code}.csv.gz', index_col=0, parse_dates=True, float_precision='round_trip')

def mixed_vol(r, days=35, min_periods=10, slow_vol_years=10, prop=0.3, vol_abs_min=1e-10):
    vol = r.ewm(adjust=True, span=days, min_periods=min_periods).std()
    slow = vol.ewm(adjust=True, span=slow_vol_years * 256).mean()
    v = prop * slow + (1 - prop) * vol
    v[v < vol_abs_min] = vol_abs_min
    return v

def frac(c):
    c = c.astype('int64')
    return (c // 10000).astype(float) + ((c % 10000).astype(float) / 100.0) / 12.0

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

def lit(v):
    return "NAN" if np.isnan(v) else repr(float(v))

for code in ['CORN', 'US10', 'GOLD_micro']:
    adj = read('adjusted_prices_csv', code)['price']
    mp = read('multiple_prices_csv', code)
    price = adj.resample('1B').last()
    vol = mixed_vol(price.diff())
    raw_roll = mp.PRICE - mp.CARRY
    raw_roll[raw_roll == 0] = np.nan
    diffs = frac(mp.CARRY_CONTRACT) - frac(mp.PRICE_CONTRACT)
    small = diffs.abs() < 1 / 365.25
    diffs[small] = np.copysign(1 / 365.25, diffs[small])
    ann = raw_roll / diffs
    ann = ann[~ann.index.duplicated(keep='last')]
    daily_ann = ann.resample('1B').mean()
    raw_carry = daily_ann / (vol * 16)
    series = {
        'daily_annualised_roll': daily_ann,
        'raw_carry': raw_carry,
        'carry90': raw_carry.ewm(90).mean(),
        'ewmac16_64': ewmac(price, vol, 16, 64),
        'breakout20': breakout(price, 20),
        'accel32': (lambda e: e - e.shift(32))(ewmac(price, vol, 32, 128)),
    }
    for name, s in series.items():
        idx = s.index
        picks = sorted(set([idx[0], idx[-1]] + list(idx[np.linspace(0, len(idx) - 1, 12).astype(int)])))
        vals = ", ".join(f'("{d.date()}", {lit(s[d])})' for d in picks)
        print(f'    ("{code}", "{name}", {len(s)}, {int(s.notna().sum())}, &[{vals}]),')
