//! The config CSVs: `config/instruments.csv`, `config/rolls.csv`, `config/spreads.csv`
//! (pysystemtrade's `csvconfig/instrumentconfig.csv`, `rollconfig.csv`, `spreadcosts.csv`; spec §1.2–1.4)
//! and the Interactive Brokers mappings `config/ibkr.csv`, `config/ibkr-fx.csv` (pysystemtrade's
//! `sysbrokers/IB/config/ib_config_futures.csv` and `ib_config_spot_FX.csv`; spec §1.11).
//! Readers take columns by name and ignore extra columns; empty numeric cells of instruments are 0 and
//! an empty Region is `NO_REGION`, as in pysystemtrade (`sysobjects/instruments.py`, spec §1.2).
//! Every row passes the validation rules of [`systrade_model::validation`] (point size, currency,
//! commissions, spread cost, roll offsets) on every read, so a hand-edited file cannot feed an absurd
//! value to any tool; a violation names the file, the row and the field.

use crate::error::{Result, StoreError};
use std::path::Path;
use systrade_model::{
    BrokerMappingError, CarryOffset, IbkrFx, IbkrInstrument, Instrument, InstrumentCode, RollCycle,
    RollParameters, validation,
};

/// Columns of `config/instruments.csv`.
pub const INSTRUMENT_COLUMNS: [&str; 9] = [
    "Instrument",
    "Description",
    "Pointsize",
    "Currency",
    "AssetClass",
    "PerBlock",
    "Percentage",
    "PerTrade",
    "Region",
];

/// Columns of `config/rolls.csv`.
pub const ROLL_COLUMNS: [&str; 6] = [
    "Instrument",
    "HoldRollCycle",
    "RollOffsetDays",
    "CarryOffset",
    "PricedRollCycle",
    "ExpiryOffset",
];

/// Columns of `config/ibkr.csv` (pysystemtrade's `ib_config_futures.csv`).
pub const IBKR_COLUMNS: [&str; 7] = [
    "Instrument",
    "IBSymbol",
    "IBExchange",
    "IBCurrency",
    "IBMultiplier",
    "priceMagnifier",
    "IgnoreWeekly",
];

/// Columns of `config/ibkr-fx.csv` (pysystemtrade's `ib_config_spot_FX.csv`).
pub const IBKR_FX_COLUMNS: [&str; 4] = ["CODE", "CCY1", "CCY2", "INVERT"];

/// Columns of `config/spreads.csv`.
pub const SPREAD_COLUMNS: [&str; 2] = ["Instrument", "SpreadCost"];

/// Region given to instruments without one (pysystemtrade `NO_REGION`).
pub const NO_REGION: &str = "NO_REGION";

/// Slippage of one instrument: half the bid/ask spread in price points (spec §1.4).
#[derive(Debug, Clone, PartialEq)]
pub struct SpreadCost {
    pub instrument: InstrumentCode,
    pub spread_cost: f64,
}

/// A CSV file read whole, with columns looked up by name.
struct Table<'a> {
    path: &'a Path,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl<'a> Table<'a> {
    fn read(path: &'a Path, bytes: &[u8]) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| StoreError::format(path, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.iter().all(String::is_empty) {
            return Err(StoreError::format(path, "empty file (no header)"));
        }
        let rows = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::format(path, e))?;
        Ok(Self { path, header, rows })
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| StoreError::schema(self.path, name, "missing column"))
    }

    fn cell<'r>(&self, row: &'r csv::StringRecord, col: usize) -> &'r str {
        row.get(col).unwrap_or("").trim()
    }

    fn code(&self, i: usize, row: &csv::StringRecord, col: usize) -> Result<InstrumentCode> {
        InstrumentCode::new(self.cell(row, col))
            .map_err(|e| StoreError::value(self.path, i + 1, &self.header[col], e.to_string()))
    }

    /// A number; `default` for an empty cell when given, else an error.
    fn number<T: std::str::FromStr>(
        &self,
        i: usize,
        row: &csv::StringRecord,
        col: usize,
        default: Option<T>,
    ) -> Result<T> {
        let s = self.cell(row, col);
        if s.is_empty() {
            return default
                .ok_or_else(|| StoreError::value(self.path, i + 1, &self.header[col], "empty"));
        }
        s.parse().map_err(|_| {
            StoreError::value(
                self.path,
                i + 1,
                &self.header[col],
                format!("'{s}' is not a number"),
            )
        })
    }

    /// `TRUE`/`FALSE`, `YES`/`NO`, `1`/`0` in any case; an empty cell is false.
    fn flag(&self, i: usize, row: &csv::StringRecord, col: usize) -> Result<bool> {
        let s = self.cell(row, col);
        match s.to_ascii_uppercase().as_str() {
            "TRUE" | "YES" | "1" => Ok(true),
            "FALSE" | "NO" | "0" | "" => Ok(false),
            _ => Err(StoreError::value(
                self.path,
                i + 1,
                &self.header[col],
                format!("'{s}' is not TRUE or FALSE (YES or NO)"),
            )),
        }
    }

    /// A row that failed a validation rule, named by file, row and field.
    fn invalid(&self, i: usize, e: validation::Invalid) -> StoreError {
        StoreError::value(self.path, i + 1, e.field, e.problem)
    }

    /// A mapping row that failed its checks, named by file, row and field.
    fn mapping(&self, i: usize, e: BrokerMappingError) -> StoreError {
        StoreError::value(self.path, i + 1, e.field, e.problem)
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| StoreError::io(path, e))
}

/// Parses instrument config CSV bytes (`path` for messages).
pub fn parse_instruments(path: &Path, bytes: &[u8]) -> Result<Vec<Instrument>> {
    let t = Table::read(path, bytes)?;
    let c: Vec<usize> = INSTRUMENT_COLUMNS
        .iter()
        .map(|n| t.column(n))
        .collect::<Result<_>>()?;
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let region = t.cell(r, c[8]);
            let instrument = Instrument {
                code: t.code(i, r, c[0])?,
                description: t.cell(r, c[1]).to_string(),
                pointsize: t.number(i, r, c[2], Some(0.0))?,
                currency: t.cell(r, c[3]).to_string(),
                asset_class: t.cell(r, c[4]).to_string(),
                per_block: t.number(i, r, c[5], Some(0.0))?,
                percentage: t.number(i, r, c[6], Some(0.0))?,
                per_trade: t.number(i, r, c[7], Some(0.0))?,
                region: if region.is_empty() {
                    NO_REGION.to_string()
                } else {
                    region.to_string()
                },
            };
            validation::check_instrument(&instrument).map_err(|e| t.invalid(i, e))?;
            Ok(instrument)
        })
        .collect()
}

/// Parses roll config CSV bytes (`path` for messages).
pub fn parse_roll_parameters(path: &Path, bytes: &[u8]) -> Result<Vec<RollParameters>> {
    let t = Table::read(path, bytes)?;
    let c: Vec<usize> = ROLL_COLUMNS
        .iter()
        .map(|n| t.column(n))
        .collect::<Result<_>>()?;
    let cycle = |i: usize, r: &csv::StringRecord, col: usize| -> Result<RollCycle> {
        t.cell(r, col)
            .parse()
            .map_err(|e: systrade_model::RollCycleError| {
                StoreError::value(path, i + 1, &t.header[col], e.to_string())
            })
    };
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let carry: i64 = t.number(i, r, c[3], None)?;
            let parameters = RollParameters {
                instrument: t.code(i, r, c[0])?,
                hold_cycle: cycle(i, r, c[1])?,
                roll_offset_days: t.number(i, r, c[2], None)?,
                carry_offset: CarryOffset::from_i64(carry).ok_or_else(|| {
                    StoreError::value(
                        path,
                        i + 1,
                        "CarryOffset",
                        format!("{carry} is not 1 or -1"),
                    )
                })?,
                priced_cycle: cycle(i, r, c[4])?,
                expiry_offset: t.number(i, r, c[5], None)?,
            };
            validation::check_roll_parameters(&parameters).map_err(|e| t.invalid(i, e))?;
            Ok(parameters)
        })
        .collect()
}

/// Parses spread cost CSV bytes (`path` for messages). An empty SpreadCost is 0.
pub fn parse_spread_costs(path: &Path, bytes: &[u8]) -> Result<Vec<SpreadCost>> {
    let t = Table::read(path, bytes)?;
    let c: Vec<usize> = SPREAD_COLUMNS
        .iter()
        .map(|n| t.column(n))
        .collect::<Result<_>>()?;
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let instrument = t.code(i, r, c[0])?;
            let spread_cost = t.number(i, r, c[1], Some(0.0))?;
            validation::check_cost(spread_cost)
                .map_err(|p| StoreError::value(path, i + 1, &t.header[c[1]], p))?;
            Ok(SpreadCost {
                instrument,
                spread_cost,
            })
        })
        .collect()
}

/// Parses `config/ibkr.csv` bytes (`path` for messages). An empty or `NA` IBCurrency and an empty
/// IBMultiplier mean "any"; an empty priceMagnifier is 1 and an empty IgnoreWeekly false, as
/// pysystemtrade reads them (`sysbrokers/IB/config/ib_instrument_config.py`). An instrument listed
/// twice is an error.
pub fn parse_ibkr_instruments(path: &Path, bytes: &[u8]) -> Result<Vec<IbkrInstrument>> {
    let t = Table::read(path, bytes)?;
    let c: Vec<usize> = IBKR_COLUMNS
        .iter()
        .map(|n| t.column(n))
        .collect::<Result<_>>()?;
    let mut seen = std::collections::HashMap::new();
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let instrument = t.code(i, r, c[0])?;
            if let Some(first) = seen.insert(instrument.clone(), i + 1) {
                return Err(StoreError::value(
                    path,
                    i + 1,
                    IBKR_COLUMNS[0],
                    format!("{instrument} is already mapped in row {first}"),
                ));
            }
            let currency = t.cell(r, c[3]);
            let multiplier = if t.cell(r, c[4]).is_empty() {
                None
            } else {
                Some(t.number(i, r, c[4], None)?)
            };
            IbkrInstrument::new(
                instrument,
                t.cell(r, c[1]),
                t.cell(r, c[2]),
                (!currency.is_empty() && currency != "NA").then_some(currency),
                multiplier,
                t.number(i, r, c[5], Some(1.0))?,
                t.flag(i, r, c[6])?,
            )
            .map_err(|e| t.mapping(i, e))
        })
        .collect()
}

/// Parses `config/ibkr-fx.csv` bytes (`path` for messages). A code listed twice is an error.
pub fn parse_ibkr_fx(path: &Path, bytes: &[u8]) -> Result<Vec<IbkrFx>> {
    let t = Table::read(path, bytes)?;
    let c: Vec<usize> = IBKR_FX_COLUMNS
        .iter()
        .map(|n| t.column(n))
        .collect::<Result<_>>()?;
    let mut seen = std::collections::HashMap::new();
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let fx = IbkrFx::new(
                t.cell(r, c[0]),
                t.cell(r, c[1]),
                t.cell(r, c[2]),
                t.flag(i, r, c[3])?,
            )
            .map_err(|e| t.mapping(i, e))?;
            if let Some(first) = seen.insert(fx.code().to_string(), i + 1) {
                return Err(StoreError::value(
                    path,
                    i + 1,
                    IBKR_FX_COLUMNS[0],
                    format!("{} is already mapped in row {first}", fx.code()),
                ));
            }
            Ok(fx)
        })
        .collect()
}

/// Columns of a broker positions CSV (`place-orders positions adopt --csv FILE`; the contract
/// rows of `place-orders positions --format csv` have them too).
pub const BROKER_POSITION_COLUMNS: [&str; 3] = ["instrument", "contract", "position"];

/// One row of a broker positions CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerPositionRow {
    pub instrument: InstrumentCode,
    pub contract: systrade_model::ContractDate,
    pub position: i64,
}

/// Reads a broker positions CSV (columns [`BROKER_POSITION_COLUMNS`], others ignored; a row
/// whose `contract` cell is empty, such as a strategy row of `place-orders positions`, is
/// skipped): instrument codes, contract ids (`YYYYMMDD` or `YYYYMM`) and whole positions within
/// the broker bound ([`validation::check_contracts`]); an error names the file, row and field.
pub fn read_broker_positions(path: &Path) -> Result<Vec<BrokerPositionRow>> {
    let bytes = read_bytes(path)?;
    let t = Table::read(path, &bytes)?;
    let c: Vec<usize> = BROKER_POSITION_COLUMNS
        .iter()
        .map(|n| t.column(n))
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for (i, r) in t.rows.iter().enumerate() {
        let contract = t.cell(r, c[1]);
        if contract.is_empty() {
            continue;
        }
        let instrument = t.code(i, r, c[0])?;
        let contract: systrade_model::ContractDate = contract.parse().map_err(|e| {
            StoreError::value(path, i + 1, BROKER_POSITION_COLUMNS[1], format!("{e}"))
        })?;
        let n: f64 = t.number(i, r, c[2], None)?;
        let position = validation::check_contracts(n)
            .map_err(|e| StoreError::value(path, i + 1, BROKER_POSITION_COLUMNS[2], e))?;
        out.push(BrokerPositionRow {
            instrument,
            contract,
            position,
        });
    }
    Ok(out)
}

pub(crate) fn read_ibkr_instruments(path: &Path) -> Result<Vec<IbkrInstrument>> {
    parse_ibkr_instruments(path, &read_bytes(path)?)
}

pub(crate) fn read_ibkr_fx(path: &Path) -> Result<Vec<IbkrFx>> {
    parse_ibkr_fx(path, &read_bytes(path)?)
}

pub(crate) fn read_instruments(path: &Path) -> Result<Vec<Instrument>> {
    parse_instruments(path, &read_bytes(path)?)
}

pub(crate) fn read_roll_parameters(path: &Path) -> Result<Vec<RollParameters>> {
    parse_roll_parameters(path, &read_bytes(path)?)
}

pub(crate) fn read_spread_costs(path: &Path) -> Result<Vec<SpreadCost>> {
    parse_spread_costs(path, &read_bytes(path)?)
}

fn to_csv(
    path: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)
        .map_err(|e| StoreError::format(path, e))?;
    for r in rows {
        w.write_record(&r)
            .map_err(|e| StoreError::format(path, e))?;
    }
    w.into_inner()
        .map_err(|e| StoreError::format(path, e.to_string()))
}

/// `config/ibkr.csv` as pysystemtrade writes `ib_config_futures.csv`: `NA` for any currency, an
/// empty IBMultiplier for any multiplier, `TRUE`/`FALSE`. Reads back to the same rows
/// ([`parse_ibkr_instruments`]); an instrument listed twice is an error.
pub(crate) fn encode_ibkr_instruments(path: &Path, rows: &[IbkrInstrument]) -> Result<Vec<u8>> {
    let mut seen = std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(first) = seen.insert(r.instrument().clone(), i + 1) {
            return Err(StoreError::value(
                path,
                i + 1,
                IBKR_COLUMNS[0],
                format!("{} is already mapped in row {first}", r.instrument()),
            ));
        }
    }
    to_csv(
        path,
        &IBKR_COLUMNS,
        rows.iter().map(|r| {
            vec![
                r.instrument().to_string(),
                r.symbol().to_string(),
                r.exchange().to_string(),
                r.currency().unwrap_or("NA").to_string(),
                r.multiplier().map(|m| m.to_string()).unwrap_or_default(),
                r.price_magnifier().to_string(),
                if r.ignore_weekly() { "TRUE" } else { "FALSE" }.to_string(),
            ]
        }),
    )
}

pub(crate) fn encode_instruments(path: &Path, rows: &[Instrument]) -> Result<Vec<u8>> {
    for (i, r) in rows.iter().enumerate() {
        validation::check_instrument(r)
            .map_err(|e| StoreError::value(path, i + 1, e.field, e.problem))?;
    }
    to_csv(
        path,
        &INSTRUMENT_COLUMNS,
        rows.iter().map(|r| {
            vec![
                r.code.to_string(),
                r.description.clone(),
                r.pointsize.to_string(),
                r.currency.clone(),
                r.asset_class.clone(),
                r.per_block.to_string(),
                r.percentage.to_string(),
                r.per_trade.to_string(),
                r.region.clone(),
            ]
        }),
    )
}

pub(crate) fn encode_roll_parameters(path: &Path, rows: &[RollParameters]) -> Result<Vec<u8>> {
    for (i, r) in rows.iter().enumerate() {
        validation::check_roll_parameters(r)
            .map_err(|e| StoreError::value(path, i + 1, e.field, e.problem))?;
    }
    to_csv(
        path,
        &ROLL_COLUMNS,
        rows.iter().map(|r| {
            vec![
                r.instrument.to_string(),
                r.hold_cycle.to_string(),
                r.roll_offset_days.to_string(),
                r.carry_offset.as_i64().to_string(),
                r.priced_cycle.to_string(),
                r.expiry_offset.to_string(),
            ]
        }),
    )
}

pub(crate) fn encode_spread_costs(path: &Path, rows: &[SpreadCost]) -> Result<Vec<u8>> {
    for (i, r) in rows.iter().enumerate() {
        validation::check_cost(r.spread_cost)
            .map_err(|p| StoreError::value(path, i + 1, SPREAD_COLUMNS[1], p))?;
    }
    to_csv(
        path,
        &SPREAD_COLUMNS,
        rows.iter()
            .map(|r| vec![r.instrument.to_string(), r.spread_cost.to_string()]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruments_round_trip_with_pst_defaults() {
        let p = Path::new("instruments.csv");
        let src = "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region,Extra\n\
                   CORN,\"Corn, yellow\",50,USD,Ags,2.92,0,0,US,x\n\
                   KR3,Korea 3y,1000000,KRW,Bond,,0.0004,,,\n";
        let rows = parse_instruments(p, src.as_bytes()).unwrap();
        assert_eq!(rows[0].description, "Corn, yellow");
        assert_eq!(rows[1].per_block, 0.0);
        assert_eq!(rows[1].percentage, 0.0004);
        assert_eq!(rows[1].region, NO_REGION);
        let again = parse_instruments(p, &encode_instruments(p, &rows).unwrap()).unwrap();
        assert_eq!(again, rows);
    }

    #[test]
    fn errors_name_file_row_and_field() {
        let p = Path::new("cfg/instruments.csv");
        let src = "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n\
                   CORN,Corn,fifty,USD,Ags,2.92,0,0,US\n";
        let e = parse_instruments(p, src.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cfg/instruments.csv") && e.contains("row 1") && e.contains("Pointsize"),
            "{e}"
        );
        let e = parse_spread_costs(p, b"Instrument\nCORN\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("SpreadCost") && e.contains("missing column"),
            "{e}"
        );
    }

    #[test]
    fn ibkr_mappings_with_pst_defaults_and_named_errors() {
        let p = Path::new("config/ibkr.csv");
        let src = "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n\
                   CORN,ZC,CBOT,NA,5000,100,FALSE\n\
                   VIX,VIX,CFE,USD,1000,,TRUE\n\
                   MIB_micro,FTMIB,IDEM,EUR,0.2,1,false\n\
                   ODD,XX,CME,,,,\n";
        let rows = parse_ibkr_instruments(p, src.as_bytes()).unwrap();
        assert_eq!(rows[0].currency(), None);
        assert_eq!(rows[0].multiplier(), Some(5000.0));
        assert_eq!(rows[0].price_magnifier(), 100.0);
        assert!(rows[1].ignore_weekly());
        assert_eq!(rows[1].price_magnifier(), 1.0);
        assert_eq!(rows[2].multiplier(), Some(0.2));
        assert_eq!(
            (rows[3].multiplier(), rows[3].ignore_weekly()),
            (None, false)
        );
        let header =
            "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n";
        let bad = |row: &str| {
            parse_ibkr_instruments(p, format!("{header}{row}\n").as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad("CORN,ZC,CBOT,NA,lots,100,FALSE"),
            "config/ibkr.csv: row 1, field 'IBMultiplier': 'lots' is not a number"
        );
        assert_eq!(
            bad("CORN,ZC,CBOT,NA,5000,-100,FALSE"),
            "config/ibkr.csv: row 1, field 'priceMagnifier': -100 is not a positive number"
        );
        assert!(bad("CORN,ZC,CBOT,NA,5000,100,maybe").contains("field 'IgnoreWeekly'"));
        assert!(bad("CORN,,CBOT,NA,5000,100,FALSE").contains("field 'IBSymbol': empty"));
        let twice =
            format!("{header}CORN,ZC,CBOT,NA,5000,100,FALSE\nCORN,ZC,CBOT,NA,5000,100,FALSE\n");
        let e = parse_ibkr_instruments(p, twice.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 2") && e.contains("already mapped in row 1"),
            "{e}"
        );
        let e = parse_ibkr_instruments(p, b"Instrument,IBSymbol\nCORN,ZC\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'IBExchange': missing column"), "{e}");

        let fx = Path::new("config/ibkr-fx.csv");
        let rows = parse_ibkr_fx(
            fx,
            b"CODE,CCY1,CCY2,INVERT\nCADUSD,USD,CAD,YES\nGBPUSD,GBP,USD,NO\n",
        )
        .unwrap();
        assert!(rows[0].invert() && !rows[1].invert());
        let e = parse_ibkr_fx(fx, b"CODE,CCY1,CCY2,INVERT\nCADUSD,USD,CAD,perhaps\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1, field 'INVERT'"), "{e}");
    }

    #[test]
    fn roll_parameters_round_trip() {
        let p = Path::new("rolls.csv");
        let src = "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
                   CORN,Z,-60,-1,HKNUZ,14\nBUND,HMUZ,-5,1,HMUZ,6\n";
        let rows = parse_roll_parameters(p, src.as_bytes()).unwrap();
        assert_eq!(rows[0].carry_offset, CarryOffset::Previous);
        let bytes = encode_roll_parameters(p, &rows).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), src.replace("\\\n", ""));
        let bad = "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
                   CORN,Z,-60,0,HKNUZ,14\n";
        let e = parse_roll_parameters(p, bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("CarryOffset") && e.contains("row 1"), "{e}");
    }
}
