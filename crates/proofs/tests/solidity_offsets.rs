//! The Solidity verifiers (`contracts/src/lib/ValidatorProofs.sol` and `WithdrawalProofs.sol`)
//! read a proof at offsets they declare as `O_*` (and `*_LEN`) constants. This test holds each of
//! them to the offset FORMAT.md's byte-layout tables give for the field it stands for, as
//! `format_doc.rs` holds the Rust prover's bytes to the same tables.
//!
//! Which field a constant stands for is written down here, explicitly (`VALIDATOR_PROOF`,
//! `WITHDRAWAL_PROOF`), so a renamed constant, a field moved in FORMAT.md, or a constant without
//! a FORMAT.md row fails.

#![allow(unused_crate_dependencies)]

use std::collections::BTreeMap;

/// Where FORMAT.md gives an offset: a row of a byte-layout table, found by its route group (the
/// bold `**route …**` rows of the withdrawal table, `""` before them and in the validator table)
/// and its content cell (the whole text, or a substring of exactly one row of the group).
#[derive(Clone, Copy, Debug)]
enum At {
    /// The row's offset.
    Row(&'static str, &'static str),
    /// A field inside the row: a name of its node list (`s84, s77, …`, 32 bytes each), or a
    /// `` `name` size `` field of its content (`pubkey` 48 @442, …; `chunk` 32, `nB` 8, …), or the
    /// `siblings` that follow such fields.
    Field(&'static str, &'static str, &'static str),
}

/// What a constant's value must be.
#[derive(Clone, Copy, Debug)]
enum Is {
    /// The offset of this field in the proof.
    At(At),
    /// The distance from the first field to the second (for offsets relative to a part or a
    /// list, which sit at a variable offset).
    Distance(At, At),
}

use At::{Field, Row};

/// `ValidatorProofs.sol` against the validator proof's "Byte layout". A constant may appear more
/// than once: every row must agree.
const VALIDATOR_PROOF: &[(&str, Is)] = &[
    ("O_VERSION", Is::At(Row("", "format version"))),
    ("O_PARTS", Is::At(Row("", "parts: bit 0"))),
    ("O_H10", Is::At(Row("", "`h10`"))),
    ("O_H4", Is::At(Row("", "`h4`"))),
    ("O_H3", Is::At(Row("", "`h3`"))),
    ("O_SLOT", Is::At(Row("", "`slot` (uint64 LE)"))),
    (
        "O_FORK_PREVIOUS",
        Is::At(Row("", "`fork.previous_version`")),
    ),
    ("O_FORK_CURRENT", Is::At(Row("", "`fork.current_version`"))),
    ("O_FORK_EPOCH", Is::At(Row("", "`fork.epoch`"))),
    ("O_S84", Is::At(Field("", "state nodes", "s84"))),
    ("O_S77", Is::At(Field("", "state nodes", "s77"))),
    ("O_S74", Is::At(Field("", "state nodes", "s74"))),
    ("O_S43", Is::At(Field("", "state nodes", "s43"))),
    ("O_S39", Is::At(Field("", "state nodes", "s39"))),
    ("O_S36", Is::At(Field("", "state nodes", "s36"))),
    ("O_S20", Is::At(Field("", "state nodes", "s20"))),
    ("O_S17", Is::At(Field("", "state nodes", "s17"))),
    ("O_S11", Is::At(Field("", "state nodes", "s11"))),
    ("O_S3", Is::At(Field("", "state nodes", "s3"))),
    ("O_PUBKEY", Is::At(Field("", "the `Validator`", "pubkey"))),
    (
        "O_CREDENTIALS",
        Is::At(Field("", "the `Validator`", "withdrawal_credentials")),
    ),
    (
        "O_EFFECTIVE_BALANCE",
        Is::At(Field("", "the `Validator`", "effective_balance")),
    ),
    ("O_SLASHED", Is::At(Field("", "the `Validator`", "slashed"))),
    (
        "O_ACTIVATION_ELIGIBILITY",
        Is::At(Field("", "the `Validator`", "activation_eligibility_epoch")),
    ),
    (
        "O_ACTIVATION",
        Is::At(Field("", "the `Validator`", "activation_epoch")),
    ),
    ("O_EXIT", Is::At(Field("", "the `Validator`", "exit_epoch"))),
    (
        "O_WITHDRAWABLE",
        Is::At(Field("", "the `Validator`", "withdrawable_epoch")),
    ),
    ("O_VALIDATORS_LENGTH", Is::At(Row("", "`nV` = "))),
    ("O_VALIDATORS_DEPTH", Is::At(Row("", "`dV` = "))),
    (
        "FIXED_LEN",
        Is::At(Row("", "the siblings of `validators[i]`")),
    ),
    (
        "O_PART_TO_LENGTH",
        Is::Distance(
            Row("", "**balance part**"),
            Field("", "**balance part**", "nB"),
        ),
    ),
    (
        "O_PART_TO_COUNT",
        Is::Distance(
            Row("", "**balance part**"),
            Field("", "**balance part**", "dB"),
        ),
    ),
    (
        "PART_HEAD_LEN",
        Is::Distance(
            Row("", "**balance part**"),
            Field("", "**balance part**", "siblings"),
        ),
    ),
    (
        "O_LENGTH_TO_COUNT",
        Is::Distance(Row("", "`nV` = "), Row("", "`dV` = ")),
    ),
    (
        "O_LENGTH_TO_COUNT",
        Is::Distance(
            Field("", "**balance part**", "nB"),
            Field("", "**balance part**", "dB"),
        ),
    ),
    (
        "O_LENGTH_TO_SIBLINGS",
        Is::Distance(
            Row("", "`nV` = "),
            Row("", "the siblings of `validators[i]`"),
        ),
    ),
    (
        "O_LENGTH_TO_SIBLINGS",
        Is::Distance(
            Field("", "**balance part**", "nB"),
            Field("", "**balance part**", "siblings"),
        ),
    ),
];

const R0: &str = "route 0";
const R12: &str = "routes 1 and 2";
const R1: &str = "route 1";
const R2: &str = "route 2";

/// `WithdrawalProofs.sol` against the withdrawal proof's "Byte layout".
const WITHDRAWAL_PROOF: &[(&str, Is)] = &[
    ("O_VERSION", Is::At(Row("", "format version"))),
    ("O_ROUTE", Is::At(Row("", "route: 0, 1 or 2"))),
    ("O_POSITION", Is::At(Row("", "`j`, the position"))),
    ("O_INDEX", Is::At(Field("", "the `Withdrawal`", "index"))),
    (
        "O_VALIDATOR_INDEX",
        Is::At(Field("", "the `Withdrawal`", "validator_index")),
    ),
    (
        "O_ADDRESS",
        Is::At(Field("", "the `Withdrawal`", "address")),
    ),
    ("O_AMOUNT", Is::At(Field("", "the `Withdrawal`", "amount"))),
    ("O_WITHDRAWALS_LENGTH", Is::At(Row("", "`nW` = "))),
    (
        "O_WITHDRAWALS_BRANCH",
        Is::At(Row("", "the 4 sibling slots of `withdrawals[j]`")),
    ),
    ("O_P47", Is::At(Field("", "payload nodes", "p47"))),
    ("O_P22", Is::At(Field("", "payload nodes", "p22"))),
    ("O_P10", Is::At(Field("", "payload nodes", "p10"))),
    ("O_P4", Is::At(Field("", "payload nodes", "p4"))),
    ("O_P3", Is::At(Field("", "payload nodes", "p3"))),
    ("O_B24", Is::At(Field("", "body nodes", "b24"))),
    ("O_B13", Is::At(Field("", "body nodes", "b13"))),
    ("O_B7", Is::At(Field("", "body nodes", "b7"))),
    ("O_B2", Is::At(Field("", "body nodes", "b2"))),
    ("O_SLOT", Is::At(Row("", "`s`: `X`'s slot"))),
    ("O_PROPOSER", Is::At(Row("", "`x9`"))),
    ("O_DIRECT_PARENT", Is::At(Row(R0, "`x10`"))),
    ("O_DIRECT_FORK", Is::At(Row(R0, "`S.fork`"))),
    ("O_DIRECT_S17", Is::At(Field(R0, "state nodes", "s17"))),
    ("O_DIRECT_S9", Is::At(Field(R0, "state nodes", "s9"))),
    ("O_DIRECT_S5", Is::At(Field(R0, "state nodes", "s5"))),
    ("O_DIRECT_S3", Is::At(Field(R0, "state nodes", "s3"))),
    ("DIRECT_LEN", Is::At(Row(R0, "end"))),
    ("O_BLOCK_NODE5", Is::At(Row(R12, "`x5`"))),
    ("O_ANCHOR_SLOT", Is::At(Row(R12, "`a`: the anchor's slot"))),
    ("O_ANCHOR_PROPOSER", Is::At(Row(R12, "`r9`"))),
    ("O_ANCHOR_PARENT", Is::At(Row(R12, "`r10`"))),
    ("O_ANCHOR_BODY", Is::At(Row(R12, "`r3`"))),
    ("O_ANCHOR_FORK", Is::At(Row(R12, "`S.fork`"))),
    ("O_BLOCK_ROOTS_S68", Is::At(Field(R1, "state nodes", "s68"))),
    ("O_BLOCK_ROOTS_S35", Is::At(Field(R1, "state nodes", "s35"))),
    ("O_BLOCK_ROOTS_S9", Is::At(Field(R1, "state nodes", "s9"))),
    ("O_BLOCK_ROOTS_S5", Is::At(Field(R1, "state nodes", "s5"))),
    ("O_BLOCK_ROOTS_S3", Is::At(Field(R1, "state nodes", "s3"))),
    (
        "O_BLOCK_ROOTS_BRANCH",
        Is::At(Row(R1, "the 13 sibling slots of `block_roots[s mod N]`")),
    ),
    ("BLOCK_ROOTS_LEN", Is::At(Row(R1, "end"))),
    ("O_HISTORICAL_S90", Is::At(Field(R2, "state nodes", "s90"))),
    ("O_HISTORICAL_S44", Is::At(Field(R2, "state nodes", "s44"))),
    ("O_HISTORICAL_S23", Is::At(Field(R2, "state nodes", "s23"))),
    ("O_HISTORICAL_S17", Is::At(Field(R2, "state nodes", "s17"))),
    ("O_HISTORICAL_S10", Is::At(Field(R2, "state nodes", "s10"))),
    ("O_HISTORICAL_S9", Is::At(Field(R2, "state nodes", "s9"))),
    ("O_HISTORICAL_S3", Is::At(Field(R2, "state nodes", "s3"))),
    (
        "O_PERIOD_BRANCH",
        Is::At(Row(
            R2,
            "the 13 sibling slots of `X` in the period's `block_roots`",
        )),
    ),
    (
        "O_STATE_SUMMARY_ROOT",
        Is::At(Row(R2, "`historical_summaries[k].state_summary_root`")),
    ),
    ("O_SUMMARIES_LENGTH", Is::At(Row(R2, "`nH` = "))),
    ("O_SUMMARIES_COUNT", Is::At(Row(R2, "`dH`"))),
    ("HISTORICAL_FIXED_LEN", Is::At(Row(R2, "those siblings"))),
    (
        "O_FORK_TO_CURRENT",
        Is::Distance(
            Row(R0, "`S.fork`"),
            Field(R0, "`S.fork`", "current_version"),
        ),
    ),
    (
        "O_FORK_TO_EPOCH",
        Is::Distance(Row(R0, "`S.fork`"), Field(R0, "`S.fork`", "epoch")),
    ),
];

/// A row of a byte-layout table.
#[derive(Debug)]
struct LayoutRow {
    /// The route group (the last bold row above it), `""` if none.
    group: String,
    /// `None` where the table gives an expression (`oB` = 572 + 32·dV, end, …).
    offset: Option<usize>,
    content: String,
    /// The fields inside the row, with their distance from the row's offset.
    fields: Vec<(String, usize)>,
}

fn read(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn number(s: &str) -> Option<usize> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().unwrap())
}

/// The leading decimal digits of `s`.
fn leading_number(s: &str) -> Option<usize> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    number(&s[..end])
}

/// The fields of a content cell: a node list (`` `s84, s77, …` ``, 32 bytes each), or
/// `` `name` size `` fields laid end to end from the row's offset, with an optional `@offset` that
/// must agree, and `32·dX siblings` after them.
fn fields(offset: Option<usize>, size: Option<usize>, content: &str) -> Vec<(String, usize)> {
    let pieces: Vec<&str> = content.split('`').collect();
    let mut out = Vec::new();
    // Backtick spans are the odd pieces; the text after span i is piece i + 1.
    for span in pieces.iter().skip(1).step_by(2) {
        let names: Vec<&str> = span.split(", ").collect();
        let is_node = |n: &&str| {
            let digits = n.trim_start_matches(|c: char| c.is_ascii_lowercase());
            digits.len() < n.len() && number(digits).is_some()
        };
        if names.len() > 1 && names.iter().all(is_node) {
            if let Some(size) = size {
                assert_eq!(size, 32 * names.len(), "size of `{content}`");
            }
            return names
                .iter()
                .enumerate()
                .map(|(k, n)| (n.to_string(), 32 * k))
                .collect();
        }
    }
    let mut at = 0;
    let mut variable = false;
    for i in (1..pieces.len()).step_by(2) {
        let after = pieces.get(i + 1).copied().unwrap_or("");
        let Some(len) = leading_number(after.trim_start()) else {
            continue;
        };
        out.push((pieces[i].to_owned(), at));
        // `pubkey` 48 @442: the absolute offset, which must be where the sizes put it.
        let rest = after.trim_start()[len.to_string().len()..].trim_start();
        if let Some(stated) = rest.strip_prefix('@').and_then(leading_number) {
            assert_eq!(
                Some(stated),
                offset.map(|o| o + at),
                "`{}` @{stated} in `{content}`",
                pieces[i]
            );
        }
        at += len;
        if rest.contains("32·d") && rest.contains("siblings") {
            out.push(("siblings".to_owned(), at));
            variable = true;
        }
    }
    if let (Some(size), false, false) = (size, out.is_empty(), variable) {
        assert_eq!(at, size, "the fields of `{content}` do not fill it");
    }
    out
}

/// The byte-layout table of the FORMAT.md part whose `# ` title starts with `title`.
fn layout(doc: &str, title: &str) -> Vec<LayoutRow> {
    let part = doc
        .split("\n# ")
        .find(|p| p.trim_start_matches("# ").starts_with(title))
        .unwrap_or_else(|| panic!("no `# {title}` in FORMAT.md"));
    let section = part
        .split("\n## ")
        .find(|s| s.starts_with("Byte layout"))
        .unwrap_or_else(|| panic!("no `## Byte layout` under `# {title}`"));
    let mut lines = section
        .lines()
        .skip_while(|l| l.trim() != "| offset | size | content |");
    assert!(lines.next().is_some(), "no layout table under `# {title}`");
    let mut group = String::new();
    let mut rows = Vec::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 3, "{line}");
        if let Some(g) = cells[0]
            .strip_prefix("**")
            .and_then(|g| g.strip_suffix("**"))
        {
            if cells[1].is_empty() && cells[2].is_empty() {
                group = g.to_owned();
                continue;
            }
        }
        let offset = number(cells[0]);
        let size = number(cells[1]);
        rows.push(LayoutRow {
            group: group.clone(),
            offset,
            content: cells[2].to_owned(),
            fields: fields(offset, size, cells[2]),
        });
    }
    assert!(!rows.is_empty(), "empty layout table under `# {title}`");
    rows
}

/// The row `at` names and the field's distance from the row's offset.
fn find(rows: &[LayoutRow], at: At) -> (&LayoutRow, usize) {
    let (group, text, field) = match at {
        Row(g, t) => (g, t, None),
        Field(g, t, f) => (g, t, Some(f)),
    };
    let in_group: Vec<&LayoutRow> = rows.iter().filter(|r| r.group == group).collect();
    let exact: Vec<&LayoutRow> = in_group
        .iter()
        .copied()
        .filter(|r| r.content == text)
        .collect();
    let matches = if exact.is_empty() {
        in_group
            .iter()
            .copied()
            .filter(|r| r.content.contains(text))
            .collect()
    } else {
        exact
    };
    let [row] = matches[..] else {
        panic!(
            "FORMAT.md has {} rows `{text}` in group `{group}`",
            matches.len()
        )
    };
    let distance = match field {
        None => 0,
        Some(f) => {
            row.fields
                .iter()
                .find(|(name, _)| name == f)
                .unwrap_or_else(|| panic!("no field `{f}` in FORMAT.md's `{}`", row.content))
                .1
        }
    };
    (row, distance)
}

fn offset(rows: &[LayoutRow], at: At) -> usize {
    let (row, distance) = find(rows, at);
    row.offset
        .unwrap_or_else(|| panic!("FORMAT.md gives `{}` no fixed offset", row.content))
        + distance
}

fn expected(rows: &[LayoutRow], is: Is) -> usize {
    match is {
        Is::At(at) => offset(rows, at),
        Is::Distance(from, to) => {
            let ((a, da), (b, db)) = (find(rows, from), find(rows, to));
            if std::ptr::eq(a, b) {
                db - da
            } else {
                offset(rows, to) - offset(rows, from)
            }
        }
    }
}

/// The library's layout constants: every `O_*` and `*_LEN`, which must be a plain number (the
/// inline assembly can only name those).
fn layout_constants(source: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line in source.lines().map(str::trim) {
        let Some((_, decl)) = line.split_once(" constant ") else {
            continue;
        };
        let Some((name, value)) = decl.split_once(" = ") else {
            continue;
        };
        if !(name.starts_with("O_") || name.ends_with("_LEN")) {
            continue;
        }
        let value = value
            .strip_suffix(';')
            .and_then(number)
            .unwrap_or_else(|| panic!("`{name}` is not a plain number: `{line}`"));
        assert!(out.insert(name.to_owned(), value).is_none(), "{name} twice");
    }
    out
}

fn check(library: &str, title: &str, table: &[(&str, Is)]) {
    let rows = layout(&read("FORMAT.md"), title);
    let constants = layout_constants(&read(&format!("../../contracts/src/lib/{library}")));
    assert!(!constants.is_empty(), "no offset constants in {library}");
    let mut failures = Vec::new();
    for (name, value) in &constants {
        if !table.iter().any(|(n, _)| n == name) {
            failures.push(format!(
                "{name} = {value} has no FORMAT.md row in this test"
            ));
        }
    }
    for &(name, is) in table {
        let want = expected(&rows, is);
        match constants.get(name) {
            None => failures.push(format!(
                "{library} has no constant {name} (FORMAT.md: {want})"
            )),
            Some(&got) if got != want => {
                failures.push(format!("{name} = {got}, FORMAT.md gives {want} ({is:?})"))
            }
            Some(_) => {}
        }
    }
    assert!(failures.is_empty(), "{library}:\n{}", failures.join("\n"));
}

#[test]
fn validator_proofs_sol_offsets_match_the_format_md_layout() {
    check(
        "ValidatorProofs.sol",
        "lsv validator proof",
        VALIDATOR_PROOF,
    );
}

#[test]
fn withdrawal_proofs_sol_offsets_match_the_format_md_layout() {
    check(
        "WithdrawalProofs.sol",
        "lsv withdrawal proof",
        WITHDRAWAL_PROOF,
    );
}

/// The assembly reads calldata at `add(base, NAME)` / `add(proof.offset, NAME)` and Solidity at
/// `proof[NAME]`: a bare number there is an offset this test cannot hold to FORMAT.md.
#[test]
fn the_proof_libraries_read_no_offset_by_bare_number() {
    for library in [
        "ValidatorProofs.sol",
        "WithdrawalProofs.sol",
        "ProgressiveValidatorProofs.sol",
        "ProgressiveWithdrawalProofs.sol",
    ] {
        let source = read(&format!("../../contracts/src/lib/{library}"));
        for (n, line) in source.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for read_at in ["add(base, ", "add(proof.offset, ", "proof["] {
                for (i, _) in line.match_indices(read_at) {
                    let next = line[i + read_at.len()..].chars().next();
                    assert!(
                        !next.is_some_and(|c| c.is_ascii_digit()),
                        "{library}:{}: a bare offset: {}",
                        n + 1,
                        line.trim()
                    );
                }
            }
        }
    }
}
