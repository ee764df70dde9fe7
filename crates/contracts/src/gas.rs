//! Gas per call: [`Chain`](crate::Chain) records every successful transaction under a label
//! (`Contract.function`); [`GasReport`] aggregates them and prints a table.

use std::fmt;

/// Gas used per label, in the order labels first appeared.
#[derive(Clone, Debug, Default)]
pub struct GasReport {
    rows: Vec<(String, Vec<u64>)>,
}

/// One line of a [`GasReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasRow {
    /// What was called, e.g. `DepositContract.deposit`.
    pub label: String,
    /// How many times.
    pub calls: usize,
    /// Least gas used.
    pub min: u64,
    /// Mean gas used, rounded down.
    pub mean: u64,
    /// Most gas used.
    pub max: u64,
}

impl GasReport {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one call's gas under `label`.
    pub fn record(&mut self, label: impl Into<String>, gas_used: u64) {
        let label = label.into();
        match self.rows.iter_mut().find(|(l, _)| *l == label) {
            Some((_, gas)) => gas.push(gas_used),
            None => self.rows.push((label, vec![gas_used])),
        }
    }

    /// The aggregate for `label`, if anything was recorded under it.
    pub fn row(&self, label: &str) -> Option<GasRow> {
        self.rows().find(|row| row.label == label)
    }

    /// One aggregate per label.
    pub fn rows(&self) -> impl Iterator<Item = GasRow> + '_ {
        self.rows.iter().map(|(label, gas)| GasRow {
            label: label.clone(),
            calls: gas.len(),
            min: gas.iter().copied().min().unwrap_or(0),
            mean: gas.iter().sum::<u64>() / gas.len().max(1) as u64,
            max: gas.iter().copied().max().unwrap_or(0),
        })
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Prints the table to standard output.
    pub fn print(&self) {
        print!("{self}");
    }
}

impl fmt::Display for GasReport {
    /// A fixed-width table: label, calls, min, mean, max (gas as a receipt reports it,
    /// intrinsic gas included).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .rows
            .iter()
            .map(|(l, _)| l.len())
            .max()
            .unwrap_or(0)
            .max("call".len());
        writeln!(
            f,
            "{:<width$}  {:>6}  {:>10}  {:>10}  {:>10}",
            "call", "calls", "min", "mean", "max"
        )?;
        for row in self.rows() {
            writeln!(
                f,
                "{:<width$}  {:>6}  {:>10}  {:>10}  {:>10}",
                row.label, row.calls, row.min, row.mean, row.max
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_per_label_in_first_seen_order() {
        let mut report = GasReport::new();
        report.record("B.f", 30);
        report.record("A.g", 10);
        report.record("B.f", 50);
        let rows: Vec<_> = report.rows().collect();
        assert_eq!(rows[0].label, "B.f");
        assert_eq!(
            (rows[0].calls, rows[0].min, rows[0].mean, rows[0].max),
            (2, 30, 40, 50)
        );
        assert_eq!(report.row("A.g").unwrap().max, 10);
        let table = report.to_string();
        assert!(table.lines().nth(1).unwrap().starts_with("B.f"), "{table}");
    }
}
