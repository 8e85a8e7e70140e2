//! `run-step capital`: total and per-strategy capital (spec §4.3 items 5-6).

use crate::CapitalCmd;
use crate::table::print_table;
use anyhow::bail;
use std::io::Write;
use systrade_cli::{ExitCode, ExitCodeError};
use systrade_ops::capital::{self, CapitalMethod, Update};
use systrade_store::StateWriter;

pub(crate) fn run(db: &mut StateWriter, action: &CapitalCmd) -> anyhow::Result<ExitCode> {
    match action {
        CapitalCmd::Show { format } => {
            let header = [
                "at",
                "account_value",
                "total_capital",
                "maximum",
                "acc_pnl",
                "method",
                "status",
                "note",
            ];
            let rows: Vec<Vec<String>> = db
                .capital_history()?
                .into_iter()
                .map(|r| {
                    vec![
                        r.at,
                        r.state
                            .account_value
                            .map(|v| format!("{v:.2}"))
                            .unwrap_or_default(),
                        format!("{:.2}", r.state.total_capital),
                        format!("{:.2}", r.state.maximum),
                        format!("{:.2}", r.state.acc_pnl),
                        r.method,
                        r.status.as_str().to_string(),
                        r.note,
                    ]
                })
                .collect();
            print_table(&header, &rows, *format)?;
            let strat: Vec<Vec<String>> = db
                .strategy_capitals()?
                .into_iter()
                .map(|s| {
                    vec![
                        s.strategy,
                        format!("{}", s.weight),
                        format!("{:.2}", s.capital),
                    ]
                })
                .collect();
            if !strat.is_empty() {
                writeln!(std::io::stdout())?;
                print_table(&["strategy", "weight", "capital"], &strat, *format)?;
            }
            Ok(ExitCode::Success)
        }
        CapitalCmd::Set { amount, note } => {
            let s = capital::set_manual(db, *amount, note)?;
            tracing::info!(total_capital = s.total_capital, "capital set by hand");
            Ok(ExitCode::Success)
        }
        CapitalCmd::Update {
            account_value,
            method,
            from_broker,
            ibkr_url,
            ibkr_account,
            ibkr_insecure,
        } => match capital::update(
            db,
            match account_value {
                Some(v) if !*from_broker => *v,
                _ => broker_account_value(ibkr_url, ibkr_account.as_deref(), *ibkr_insecure)?,
            },
            CapitalMethod::parse(method)?,
        )? {
            Update::Accepted(s) => {
                tracing::info!(
                    total_capital = s.total_capital,
                    acc_pnl = s.acc_pnl,
                    "capital updated"
                );
                Ok(ExitCode::Success)
            }
            Update::NeedsConfirmation { jump, .. } => Err(anyhow::Error::new(ExitCodeError(
                ExitCode::DataProblem,
            ))
            .context(format!(
                "account value moved {:.1}% (> 10%): capital unchanged until \
                 `run-step capital confirm` (or `reject`)",
                jump * 100.0
            ))),
        },
        CapitalCmd::Confirm => {
            let s = capital::confirm(db)?;
            tracing::info!(total_capital = s.total_capital, "capital update confirmed");
            Ok(ExitCode::Success)
        }
        CapitalCmd::Reject => {
            if !capital::reject(db)? {
                bail!("no capital update is waiting for confirmation");
            }
            Ok(ExitCode::Success)
        }
        CapitalCmd::Get { strategy } => match capital::strategy_capital(db, strategy)? {
            Some(c) => {
                writeln!(std::io::stdout(), "{c}")?;
                Ok(ExitCode::Success)
            }
            None => bail!("no capital set for strategy {strategy} (run-step capital set AMOUNT)"),
        },
        CapitalCmd::Weight { strategy, weight } => {
            capital::set_weight(db, strategy, *weight)?;
            Ok(ExitCode::Success)
        }
    }
}

/// The account's net liquidation value from the IB gateway (session initialised, account chosen
/// as place-orders chooses it). A gateway that cannot be used is exit 5, saying what to do.
fn broker_account_value(url: &str, account: Option<&str>, insecure: bool) -> anyhow::Result<f64> {
    use systrade_ibkr::{Gateway, GatewayOptions, IbkrError};
    let unavailable = |e: IbkrError| {
        let hint = match &e {
            IbkrError::CertificateRefused { .. } => {
                "; if this is the Client Portal gateway's own self-signed certificate, run again with --ibkr-insecure"
            }
            IbkrError::ConnectionRefused { .. } => " (--ibkr-url or SYSTRADE_IBKR_URL)",
            _ => "",
        };
        anyhow::Error::new(ExitCodeError(ExitCode::BrokerUnavailable)).context(format!("{e}{hint}"))
    };
    let mut opts = GatewayOptions::new(url);
    opts.transport.accept_invalid_certs = insecure;
    let gateway = Gateway::new(opts).map_err(unavailable)?;
    gateway.ensure_session().map_err(unavailable)?;
    let account = gateway
        .accounts()
        .map_err(unavailable)?
        .choose(account)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    gateway.portfolio_accounts().map_err(unavailable)?;
    let value = gateway.net_liquidation(&account).map_err(|e| {
        if e.is_unavailable() {
            unavailable(e)
        } else {
            anyhow::Error::new(ExitCodeError(ExitCode::BrokerUnavailable))
                .context(format!("reading the account value: {e}"))
        }
    })?;
    tracing::info!(
        account = %account,
        net_liquidation = value.amount,
        currency = value.currency.as_deref().unwrap_or("?"),
        "account value from the IB gateway"
    );
    Ok(value.amount)
}
