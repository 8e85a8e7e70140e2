//! Property-based fuzzing of the system config reader (issue 15): text near the shipped configs
//! (lines deleted, duplicated, swapped, values replaced by edge and garbage values, YAML anchors,
//! tags) and arbitrary text. The reader returns a config or an error naming the file; it never
//! panics, and a config it accepts has the values sizing divides by in range. Bounded and seeded.

use systrade_config::{EXAMPLE_SYSTEM_YAML, SystemConfig};
use systrade_test::fuzz::{near, run};

const CASES: u32 = 300;

const CHAPTER15: &str = include_str!("../../../bin/compute-forecasts/configs/chapter15.yaml");
const ROB_LIKE: &str = include_str!("../../../bin/compute-forecasts/configs/rob_system_like.yaml");

fn check(text: &str) {
    match SystemConfig::from_yaml_str(text, "fuzz.yaml") {
        Ok((config, _warnings)) => {
            assert!(
                config.percentage_vol_target.is_finite() && config.percentage_vol_target > 0.0,
                "accepted percentage_vol_target {} from {text:?}",
                config.percentage_vol_target
            );
            assert!(
                config.notional_trading_capital.is_finite()
                    && config.notional_trading_capital > 0.0,
                "accepted notional_trading_capital {} from {text:?}",
                config.notional_trading_capital
            );
            assert!(
                config.forecast_cap.is_finite() && config.forecast_cap > 0.0,
                "accepted forecast_cap {} from {text:?}",
                config.forecast_cap
            );
        }
        Err(e) => assert!(
            e.to_string().contains("fuzz.yaml"),
            "error does not name the file: {e}"
        ),
    }
}

#[test]
fn configs_near_the_shipped_ones_never_panic() {
    for (name, doc) in [
        ("examples/system.yaml", EXAMPLE_SYSTEM_YAML),
        ("chapter15.yaml", CHAPTER15),
        ("rob_system_like.yaml", ROB_LIKE),
    ] {
        run(name, CASES, near(doc), |text| check(&text));
    }
}
