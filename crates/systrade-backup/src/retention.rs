//! Which backups `prune` keeps (pure logic, no I/O).
//!
//! The rule, for backups sorted newest first:
//! - `keep_last`: the `keep_last` newest backups;
//! - `keep_daily`: the newest backup of each of the `keep_daily` most recent UTC days that have a backup;
//! - `keep_weekly`: the newest backup of each of the `keep_weekly` most recent ISO weeks that have one.
//!
//! A backup is kept when any rule keeps it. The newest backup is kept whenever any rule is non-zero.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use std::collections::{BTreeSet, HashSet};

/// How many backups to keep (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_last: usize,
    pub keep_daily: usize,
    pub keep_weekly: usize,
}

impl Policy {
    /// Whether the policy keeps nothing at all (refused by `prune`).
    pub fn keeps_nothing(&self) -> bool {
        self.keep_last == 0 && self.keep_daily == 0 && self.keep_weekly == 0
    }
}

/// The ids to keep among `backups` (id, start time), under `policy`.
pub fn select_keep(backups: &[(String, NaiveDateTime)], policy: Policy) -> BTreeSet<String> {
    let mut sorted: Vec<&(String, NaiveDateTime)> = backups.iter().collect();
    // Newest first; ties broken by id so the result does not depend on input order.
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let mut keep = BTreeSet::new();
    for (id, _) in sorted.iter().take(policy.keep_last) {
        keep.insert(id.clone());
    }
    let mut days: HashSet<NaiveDate> = HashSet::new();
    let mut weeks: HashSet<(i32, u32)> = HashSet::new();
    for (id, t) in &sorted {
        let day = t.date();
        if days.len() < policy.keep_daily && days.insert(day) {
            keep.insert(id.clone());
        }
        let week = (day.iso_week().year(), day.iso_week().week());
        if weeks.len() < policy.keep_weekly && weeks.insert(week) {
            keep.insert(id.clone());
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> (String, NaiveDateTime) {
        (
            s.to_string(),
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
        )
    }

    #[test]
    fn daily_keeps_newest_per_day() {
        // 2026-11-23 is a Monday.
        let b = [
            at("2026-11-25 10:00"),
            at("2026-11-25 10:15"),
            at("2026-11-24 23:45"),
            at("2026-11-24 00:00"),
            at("2026-11-23 12:00"),
        ];
        let keep = select_keep(
            &b,
            Policy {
                keep_daily: 2,
                ..Policy::default()
            },
        );
        let want: BTreeSet<String> = ["2026-11-25 10:15", "2026-11-24 23:45"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(keep, want);
    }

    #[test]
    fn weekly_uses_iso_weeks_and_unions_with_daily() {
        let b = [
            at("2026-11-25 10:00"), // week 48
            at("2026-11-22 09:00"), // Sunday, week 47
            at("2026-11-16 09:00"), // Monday, week 47
            at("2026-11-15 09:00"), // Sunday, week 46
            at("2026-11-01 09:00"), // week 44
        ];
        let keep = select_keep(
            &b,
            Policy {
                keep_daily: 1,
                keep_weekly: 3,
                ..Policy::default()
            },
        );
        let want: BTreeSet<String> = ["2026-11-25 10:00", "2026-11-22 09:00", "2026-11-15 09:00"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(keep, want);
    }

    #[test]
    fn keep_last_and_empty_policy() {
        let b = [
            at("2026-11-25 10:00"),
            at("2026-11-25 10:15"),
            at("2026-11-25 10:30"),
        ];
        let keep = select_keep(
            &b,
            Policy {
                keep_last: 2,
                ..Policy::default()
            },
        );
        assert_eq!(keep.len(), 2);
        assert!(keep.contains("2026-11-25 10:30") && keep.contains("2026-11-25 10:15"));
        assert!(Policy::default().keeps_nothing());
        assert!(select_keep(&b, Policy::default()).is_empty());
    }
}
