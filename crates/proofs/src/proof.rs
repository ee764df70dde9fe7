//! The validator proof: its on-chain byte format and the reference verifier.
//!
//! FORMAT.md (next to this crate's Cargo.toml) is the specification; this module is its
//! executable form. [`ValidatorProof::verify`] follows the same steps, in the same order, that
//! the Solidity verifier must: it recomputes every chunk from the proven values itself (the
//! `Validator`'s eight fields, the `Fork`, the slot, the list lengths) exactly as a contract
//! would, instead of calling `tree_hash`; tests check the two agree.

use crate::gindex;
use crate::merkle::{hash_pair, u64_chunk, zero_hash};
use crate::reader::Reader;
use alloy_primitives::B256;
use lsv_consensus::containers::{Fork, Validator};
use lsv_consensus::{Epoch, Gwei, Network, PublicKeyBytes, Slot, Version};

/// The first byte of every encoded proof.
pub const FORMAT_VERSION: u8 = 1;
/// Bit of the parts byte: the balance chunk is proven.
pub const PART_BALANCE: u8 = 1;
/// Bit of the parts byte: the inactivity-score chunk is proven.
pub const PART_INACTIVITY_SCORE: u8 = 2;
/// SSZ size of a `Validator`: 48 + 32 + 8 + 1 + 4·8.
pub const VALIDATOR_SSZ_LEN: usize = 121;
/// SSZ size of a `Fork`: 4 + 4 + 8.
pub const FORK_SSZ_LEN: usize = 16;

/// Which of the optional parts a proof carries (the validator's registry entry is always
/// proven).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProofParts {
    /// `balances[i]`'s chunk is proven.
    pub balance: bool,
    /// `inactivity_scores[i]`'s chunk is proven.
    pub inactivity_score: bool,
}

impl ProofParts {
    /// Registry entry only (join needs the balance too; `markSlashed` and "now exiting" proofs
    /// need only this).
    pub const VALIDATOR: Self = Self {
        balance: false,
        inactivity_score: false,
    };
    /// Registry entry and balance (join, eject on balance, mark-to-proof).
    pub const BALANCE: Self = Self {
        balance: true,
        inactivity_score: false,
    };
    /// Registry entry and inactivity score (eject on inactivity).
    pub const INACTIVITY_SCORE: Self = Self {
        balance: false,
        inactivity_score: true,
    };
    /// Registry entry, balance and inactivity score.
    pub const ALL: Self = Self {
        balance: true,
        inactivity_score: true,
    };

    /// The parts two list parts make.
    pub(crate) fn of(balance: &ListPart, inactivity_score: &ListPart) -> Self {
        Self {
            balance: matches!(balance, ListPart::Proven { .. }),
            inactivity_score: matches!(inactivity_score, ListPart::Proven { .. }),
        }
    }

    /// The parts byte (FORMAT.md).
    pub(crate) fn bits(self) -> u8 {
        (if self.balance { PART_BALANCE } else { 0 })
            | (if self.inactivity_score {
                PART_INACTIVITY_SCORE
            } else {
                0
            })
    }
}

/// A branch from one chunk of an SSZ list up to the list root: the explicit siblings from the
/// bottom (level 0) up, then implicitly `ZERO[h]` for every level `h` from `siblings.len()` to
/// the data depth, then the length mix-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListBranch {
    /// The list's length in elements (the mix-in is `uint256(length)`).
    pub length: u64,
    /// The explicit siblings, bottom-up.
    pub siblings: Vec<B256>,
}

/// An optional part of the proof: the proven chunk with its branch, or just the list's root
/// (so the state root can still be recomputed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListPart {
    /// The chunk is proven.
    Proven {
        /// The chunk holding the element.
        chunk: B256,
        /// Its branch to the list root.
        branch: ListBranch,
    },
    /// Not proven: only the list's root, so the state root can be recomputed.
    Omitted {
        /// `hash_tree_root` of the list.
        list_root: B256,
    },
}

/// A proof, against a beacon block root, of `validators[i]`, optionally of the chunks holding
/// `balances[i]` and `inactivity_scores[i]`, and of the layout witness (state node 16:
/// `genesis_time`, `genesis_validators_root`, `slot`, `fork`). The index `i` is not part of it:
/// the verifier is told which index it is about. See FORMAT.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorProof {
    /// Header nodes 10, 4, 3 (bottom-up siblings of `state_root`).
    pub header_branch: [B256; 3],
    /// `state.slot` (witness).
    pub slot: Slot,
    /// `state.fork` (witness).
    pub fork: Fork,
    /// State nodes 84, 77, 74, 43, 39, 36, 20, 17, 11, 3 ([`gindex::STATE_HELPERS`]).
    pub state_branch: [B256; 10],
    /// `state.validators[i]`.
    pub validator: Validator,
    /// Its branch to the registry's root.
    pub validator_branch: ListBranch,
    /// `balances[i]`'s chunk, or the list root.
    pub balance: ListPart,
    /// `inactivity_scores[i]`'s chunk, or the list root.
    pub inactivity_score: ListPart,
}

/// What the verifier must know independently of the proof: the chain (its genesis) and the
/// fork versions whose state layout it knows. A proof from another chain or from a state of an
/// unlisted fork fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The chain's genesis time.
    pub genesis_time: u64,
    /// The chain's genesis validators root.
    pub genesis_validators_root: B256,
    /// `state.fork.current_version` must be one of these.
    pub fork_versions: Vec<Version>,
}

impl Anchor {
    /// The anchor of a network for the Electra/Fulu layout: its genesis and the Electra and Fulu
    /// fork versions it schedules.
    pub fn electra_fulu(network: &Network) -> Self {
        use lsv_consensus::ForkName;
        Self {
            genesis_time: network.genesis_time,
            genesis_validators_root: network.genesis_validators_root,
            fork_versions: [ForkName::Electra, ForkName::Fulu]
                .into_iter()
                .filter_map(|f| network.fork_version(f))
                .collect(),
        }
    }
}

/// What a verified proof establishes about validator `index` in the state of the proven block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenValidator {
    /// The validator's index.
    pub index: u64,
    /// The state's slot.
    pub slot: Slot,
    /// The state's fork.
    pub fork: Fork,
    /// `len(state.validators)`.
    pub registry_length: u64,
    /// Its registry entry.
    pub validator: Validator,
    /// `state.balances[index]`, if proven.
    pub balance: Option<Gwei>,
    /// `state.inactivity_scores[index]`, if proven.
    pub inactivity_score: Option<u64>,
}

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bytes do not decode as a proof: what is wrong.
    #[error("malformed proof bytes: {0}")]
    Malformed(&'static str),
    /// The state's fork version is not one the anchor lists.
    #[error("state fork version {0} is not one whose layout the verifier knows")]
    UnknownForkVersion(Version),
    /// An index at or past the proven length of its list.
    #[error("{list}: index {index} is not below the proven length {length}")]
    IndexOutOfRange {
        /// The list.
        list: &'static str,
        /// The index.
        index: u64,
        /// The list's proven length.
        length: u64,
    },
    /// More explicit siblings than the list's data depth.
    #[error("{list}: {siblings} explicit siblings, more than the data depth {depth}")]
    BranchTooLong {
        /// The list.
        list: &'static str,
        /// How many siblings the proof gives.
        siblings: usize,
        /// The list's data depth.
        depth: usize,
    },
    /// A progressive list branch whose sibling count is not the `3L + 1` the index's level
    /// `L` gives (format 2).
    #[error("{list}: {siblings} siblings, the index's level needs {expected}")]
    BranchLength {
        /// The list.
        list: &'static str,
        /// How many siblings the proof gives.
        siblings: usize,
        /// How many the index needs.
        expected: usize,
    },
    /// The proven state marks a field the proof reads as inactive: a fork deprecated it, and
    /// its position no longer holds what the verifier reads (format 2).
    #[error("state field {0} is not active in the proven layout")]
    InactiveField(usize),
    /// The proof does not lead to the block root it is checked against.
    #[error("the proof leads to block root {computed}, not {expected}")]
    RootMismatch {
        /// The root checked against.
        expected: B256,
        /// The root the proof leads to.
        computed: B256,
    },
}

impl From<crate::reader::Malformed> for VerifyError {
    fn from(m: crate::reader::Malformed) -> Self {
        Self::Malformed(m.0)
    }
}

impl ValidatorProof {
    /// Verifies the proof for validator `index` against `block_root` (an EIP-4788 root).
    /// The steps are FORMAT.md's "Verification", in order.
    pub fn verify(
        &self,
        block_root: B256,
        index: u64,
        anchor: &Anchor,
    ) -> Result<ProvenValidator, VerifyError> {
        // 1. The state is of a fork whose layout we know.
        if !anchor.fork_versions.contains(&self.fork.current_version) {
            return Err(VerifyError::UnknownForkVersion(self.fork.current_version));
        }
        // 2. validators[index] up to the `validators` list root (state node 75).
        let validators_root = list_root(
            "validators",
            validator_root(&self.validator),
            index,
            index,
            gindex::VALIDATORS_DATA_DEPTH,
            &self.validator_branch,
        )?;
        // 3, 4. The balance and inactivity-score chunks up to their list roots (nodes 76, 85).
        let (balances_root, balance) = packed_part("balances", index, &self.balance)?;
        let (inactivity_root, inactivity_score) =
            packed_part("inactivity_scores", index, &self.inactivity_score)?;
        // 5. The witness, state node 16, from the anchor's genesis and the proven slot and fork.
        let witness = hash_pair(
            &hash_pair(
                &u64_chunk(anchor.genesis_time),
                &anchor.genesis_validators_root,
            ),
            &hash_pair(&u64_chunk(self.slot.as_u64()), &fork_root(&self.fork)),
        );
        // 6. The state root, from nodes 16, 75, 76, 85 and the ten helpers.
        let [s84, s77, s74, s43, s39, s36, s20, s17, s11, s3] = self.state_branch;
        let n37 = hash_pair(&s74, &validators_root);
        let n38 = hash_pair(&balances_root, &s77);
        let n18 = hash_pair(&s36, &n37);
        let n19 = hash_pair(&n38, &s39);
        let n9 = hash_pair(&n18, &n19);
        let n8 = hash_pair(&witness, &s17);
        let n4 = hash_pair(&n8, &n9);
        let n42 = hash_pair(&s84, &inactivity_root);
        let n21 = hash_pair(&n42, &s43);
        let n10 = hash_pair(&s20, &n21);
        let n5 = hash_pair(&n10, &s11);
        let n2 = hash_pair(&n4, &n5);
        let state_root = hash_pair(&n2, &s3);
        // 7. The block root, from state_root (header node 11) and header nodes 10, 4, 3.
        check_block_root(&self.header_branch, &state_root, block_root)?;
        Ok(ProvenValidator {
            index,
            slot: self.slot,
            fork: self.fork,
            registry_length: self.validator_branch.length,
            validator: self.validator,
            balance: balance.map(Gwei::new),
            inactivity_score,
        })
    }

    /// The parts this proof carries.
    pub fn parts(&self) -> ProofParts {
        ProofParts::of(&self.balance, &self.inactivity_score)
    }

    /// The number of bytes [`to_bytes`](Self::to_bytes) produces.
    pub fn encoded_len(&self) -> usize {
        let part = |p: &ListPart| match p {
            ListPart::Proven { branch, .. } => 32 + 8 + 1 + 32 * branch.siblings.len(),
            ListPart::Omitted { .. } => 32,
        };
        FIXED_LEN
            + 32 * self.validator_branch.siblings.len()
            + part(&self.balance)
            + part(&self.inactivity_score)
    }

    /// The on-chain encoding (FORMAT.md "Byte layout").
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(FORMAT_VERSION);
        out.push(self.parts().bits());
        for node in &self.header_branch {
            out.extend_from_slice(node.as_slice());
        }
        out.extend_from_slice(&self.slot.as_u64().to_le_bytes());
        put_fork(&mut out, &self.fork);
        for node in &self.state_branch {
            out.extend_from_slice(node.as_slice());
        }
        put_validator(&mut out, &self.validator);
        put_list_branch(&mut out, &self.validator_branch);
        put_parts(&mut out, [&self.balance, &self.inactivity_score]);
        debug_assert_eq!(out.len(), self.encoded_len());
        out
    }

    /// Parses the on-chain encoding. Rejects unknown versions and part bits, sibling counts
    /// above the data depth, truncation and trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != FORMAT_VERSION {
            return Err(VerifyError::Malformed("unknown format version"));
        }
        let parts = r.u8()?;
        if parts & !(PART_BALANCE | PART_INACTIVITY_SCORE) != 0 {
            return Err(VerifyError::Malformed("unknown part bits"));
        }
        let header_branch = [r.b256()?, r.b256()?, r.b256()?];
        let slot = Slot::new(r.u64_le()?);
        let fork = r.fork()?;
        let state_branch = r.nodes()?;
        let validator = read_validator(&mut r)?;
        const TOO_MANY: &str = "more siblings than the list's data depth";
        let validator_branch = r.list_branch(gindex::VALIDATORS_DATA_DEPTH, TOO_MANY)?;
        let depth = gindex::PACKED_U64_DATA_DEPTH;
        let balance = read_part(&mut r, parts & PART_BALANCE != 0, depth, TOO_MANY)?;
        let inactivity_score =
            read_part(&mut r, parts & PART_INACTIVITY_SCORE != 0, depth, TOO_MANY)?;
        r.finish()?;
        Ok(Self {
            header_branch,
            slot,
            fork,
            state_branch,
            validator,
            validator_branch,
            balance,
            inactivity_score,
        })
    }
}

/// Bytes of everything but the variable sibling lists and the optional parts: version, parts,
/// header branch, slot, fork, state branch, validator, validators length and sibling count.
pub const FIXED_LEN: usize =
    1 + 1 + 3 * 32 + 8 + FORK_SSZ_LEN + 10 * 32 + VALIDATOR_SSZ_LEN + 8 + 1;

/// `hash_tree_root(validator)`, chunk by chunk as the Solidity verifier computes it: the pubkey
/// (`Bytes48`, two chunks) hashed to one chunk, then the 8-leaf tree.
pub fn validator_root(v: &Validator) -> B256 {
    let pk = v.pubkey.as_bytes();
    let mut pk_tail = B256::ZERO;
    pk_tail[..16].copy_from_slice(&pk[32..]);
    let pubkey_root = hash_pair(&B256::from_slice(&pk[..32]), &pk_tail);
    let mut slashed = B256::ZERO;
    slashed[0] = u8::from(v.slashed);
    hash_pair(
        &hash_pair(
            &hash_pair(&pubkey_root, &v.withdrawal_credentials),
            &hash_pair(&u64_chunk(v.effective_balance.as_u64()), &slashed),
        ),
        &hash_pair(
            &hash_pair(
                &u64_chunk(v.activation_eligibility_epoch.as_u64()),
                &u64_chunk(v.activation_epoch.as_u64()),
            ),
            &hash_pair(
                &u64_chunk(v.exit_epoch.as_u64()),
                &u64_chunk(v.withdrawable_epoch.as_u64()),
            ),
        ),
    )
}

/// `hash_tree_root(fork)`: chunks `previous_version`, `current_version`, `epoch`, zero.
pub fn fork_root(f: &Fork) -> B256 {
    let mut prev = B256::ZERO;
    prev[..4].copy_from_slice(&f.previous_version.0);
    let mut cur = B256::ZERO;
    cur[..4].copy_from_slice(&f.current_version.0);
    hash_pair(
        &hash_pair(&prev, &cur),
        &hash_pair(&u64_chunk(f.epoch.as_u64()), &zero_hash(0)),
    )
}

/// Hashes `leaf` (chunk number `chunk_index` of a list) up to the list root: explicit siblings,
/// then zero hashes to `depth`, then the length. `index` (the element index) must be below the
/// length.
fn list_root(
    list: &'static str,
    leaf: B256,
    index: u64,
    chunk_index: u64,
    depth: usize,
    branch: &ListBranch,
) -> Result<B256, VerifyError> {
    if index >= branch.length {
        return Err(VerifyError::IndexOutOfRange {
            list,
            index,
            length: branch.length,
        });
    }
    if branch.siblings.len() > depth {
        return Err(VerifyError::BranchTooLong {
            list,
            siblings: branch.siblings.len(),
            depth,
        });
    }
    let mut node = leaf;
    for h in 0..depth {
        let sibling = branch
            .siblings
            .get(h)
            .copied()
            .unwrap_or_else(|| zero_hash(h));
        node = if (chunk_index >> h) & 1 == 1 {
            hash_pair(&sibling, &node)
        } else {
            hash_pair(&node, &sibling)
        };
    }
    Ok(hash_pair(&node, &u64_chunk(branch.length)))
}

/// The root of a packed `uint64` list part and, if proven, the value of element `index`.
fn packed_part(
    list: &'static str,
    index: u64,
    part: &ListPart,
) -> Result<(B256, Option<u64>), VerifyError> {
    match part {
        ListPart::Omitted { list_root } => Ok((*list_root, None)),
        ListPart::Proven { chunk, branch } => {
            let root = list_root(
                list,
                *chunk,
                index,
                index / gindex::U64_PER_CHUNK,
                gindex::PACKED_U64_DATA_DEPTH,
                branch,
            )?;
            let at = 8 * (index % gindex::U64_PER_CHUNK) as usize;
            let value = u64::from_le_bytes(chunk[at..at + 8].try_into().expect("8 bytes"));
            Ok((root, Some(value)))
        }
    }
}

/// Step 7 (format 1) / 5 (format 2): the block root from the state root (header node 11) and
/// header nodes 10, 4, 3 must be `expected`.
pub(crate) fn check_block_root(
    header_branch: &[B256; 3],
    state_root: &B256,
    expected: B256,
) -> Result<(), VerifyError> {
    let [h10, h4, h3] = header_branch;
    let computed = hash_pair(&hash_pair(h4, &hash_pair(h10, state_root)), h3);
    if computed != expected {
        return Err(VerifyError::RootMismatch { expected, computed });
    }
    Ok(())
}

/// The balance and inactivity parts, encoded: a proven chunk with its branch, or the list root.
pub(crate) fn put_parts(out: &mut Vec<u8>, parts: [&ListPart; 2]) {
    for part in parts {
        match part {
            ListPart::Proven { chunk, branch } => {
                out.extend_from_slice(chunk.as_slice());
                put_list_branch(out, branch);
            }
            ListPart::Omitted { list_root } => out.extend_from_slice(list_root.as_slice()),
        }
    }
}

/// One part as [`put_parts`] encodes it: `proven` says which shape; at most `depth` siblings.
pub(crate) fn read_part(
    r: &mut Reader<'_>,
    proven: bool,
    depth: usize,
    too_many: &'static str,
) -> Result<ListPart, VerifyError> {
    Ok(if proven {
        ListPart::Proven {
            chunk: r.b256()?,
            branch: r.list_branch(depth, too_many)?,
        }
    } else {
        ListPart::Omitted {
            list_root: r.b256()?,
        }
    })
}

/// A `Validator` in its SSZ encoding ([`put_validator`]); `slashed` must be 0 or 1.
pub(crate) fn read_validator(r: &mut Reader<'_>) -> Result<Validator, VerifyError> {
    Ok(Validator {
        pubkey: PublicKeyBytes(r.array()?),
        withdrawal_credentials: r.b256()?,
        effective_balance: Gwei::new(r.u64_le()?),
        slashed: match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(VerifyError::Malformed("slashed is not 0 or 1")),
        },
        activation_eligibility_epoch: Epoch::new(r.u64_le()?),
        activation_epoch: Epoch::new(r.u64_le()?),
        exit_epoch: Epoch::new(r.u64_le()?),
        withdrawable_epoch: Epoch::new(r.u64_le()?),
    })
}

pub(crate) fn put_fork(out: &mut Vec<u8>, f: &Fork) {
    out.extend_from_slice(&f.previous_version.0);
    out.extend_from_slice(&f.current_version.0);
    out.extend_from_slice(&f.epoch.as_u64().to_le_bytes());
}

/// The SSZ encoding of a `Validator` (all fields fixed-size, in order, integers little-endian).
pub(crate) fn put_validator(out: &mut Vec<u8>, v: &Validator) {
    out.extend_from_slice(v.pubkey.as_bytes());
    out.extend_from_slice(v.withdrawal_credentials.as_slice());
    out.extend_from_slice(&v.effective_balance.as_u64().to_le_bytes());
    out.push(u8::from(v.slashed));
    for e in [
        v.activation_eligibility_epoch,
        v.activation_epoch,
        v.exit_epoch,
        v.withdrawable_epoch,
    ] {
        out.extend_from_slice(&e.as_u64().to_le_bytes());
    }
}

pub(crate) fn put_list_branch(out: &mut Vec<u8>, b: &ListBranch) {
    out.extend_from_slice(&b.length.to_le_bytes());
    out.push(u8::try_from(b.siblings.len()).expect("at most 40 siblings"));
    for s in &b.siblings {
        out.extend_from_slice(s.as_slice());
    }
}
