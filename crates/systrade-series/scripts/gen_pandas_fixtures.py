# Generates the literals in tests/pandas_fixtures.rs (pandas 2.1.3, numpy 1.26.4). Run once; output pasted.
import numpy as np, pandas as pd
x = [100.0, 101.5, float('nan'), 99.25, 102.0, 103.5, float('nan'), float('nan'), 101.0, 98.75, 97.0, 99.5, 100.25, float('nan'), 104.0, 105.5, 103.0, 102.25, 106.0, 107.75]
s = pd.Series(x)
out = {}
out['ewm_span4_mean'] = s.ewm(span=4, min_periods=1).mean()
out['ewm_com3_mean_min5'] = s.ewm(3, min_periods=5).mean()
out['ewm_span5_std_min3'] = s.ewm(span=5, min_periods=3).std()
out['ewm_span5_var'] = s.ewm(span=5).var()
out['roll_mean_5_3'] = s.rolling(5, min_periods=3).mean()
out['roll_std_5_3'] = s.rolling(5, min_periods=3).std()
out['roll_max_4_2'] = s.rolling(4, min_periods=2).max()
out['roll_min_4_2'] = s.rolling(4, min_periods=2).min()
out['roll_q05_8_3'] = s.rolling(8, min_periods=3).quantile(0.05)
out['expanding_mean_4'] = s.expanding(min_periods=4).mean()
def lit(v):
    return "NAN" if np.isnan(v) else repr(float(v))
print("const X: [f64; %d] = [%s];" % (len(x), ", ".join(lit(v) for v in x)))
for k, v in out.items():
    print("const %s: [f64; %d] = [%s];" % (k.upper(), len(v), ", ".join(lit(a) for a in v)))
# rolling skew: by rows, and by calendar days on a business-day index (2024-01-01 is a Monday)
out2 = {}
out2['roll_skew_5_3'] = s.rolling(5, min_periods=3).skew()
sd = pd.Series(x, index=pd.bdate_range('2024-01-01', periods=len(x)))
out2['roll_skew_10d'] = sd.rolling('10D').skew()
for k, v in out2.items():
    print("const %s: [f64; %d] = [%s];" % (k.upper(), len(v), ", ".join(lit(a) for a in v)))
