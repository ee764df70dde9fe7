//! Helpers shared by the integration tests: deposit data and an independent deposit tree; the
//! vault's named refusals and its ETH bookkeeping; [`vault::VaultTest`], the one fixture of the
//! vault's suites; and [`dcap`], the real quotes and the test PKI of the two DCAP verifier
//! suites.
#![allow(dead_code)]

pub(crate) mod dcap;
pub(crate) mod vault;

use lsv_consensus::containers::DepositData;
use lsv_consensus::{Gwei, PublicKeyBytes, SignatureBytes};
use lsv_contracts::bindings::proof_verifier::ProofVerifier::ProofVerifierErrors;
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors};
use lsv_contracts::bindings::DepositContract;
use lsv_contracts::{Address, Chain, Receipt, B256, U256};
use sha2::{Digest, Sha256};
use tree_hash::TreeHash;

pub(crate) const GWEI: u64 = 1_000_000_000;

/// `amount_gwei` gwei in wei.
pub(crate) fn gwei(amount_gwei: u64) -> U256 {
    U256::from(amount_gwei) * U256::from(GWEI)
}

/// `n` ether in wei.
pub(crate) fn ether(n: u64) -> U256 {
    gwei(n * GWEI)
}

/// The vault's named error in a reverted receipt.
pub(crate) fn refusal(r: Receipt) -> VaultErrors {
    assert!(!r.is_success(), "expected a revert, got {r}");
    r.revert_error::<VaultErrors>()
        .unwrap_or_else(|| panic!("not a named vault error: {r}"))
}

/// The proof verifier's named error in a reverted receipt: the vault passes on the revert of
/// `PROOF_VERIFIER` as it is.
pub(crate) fn proof_refusal(r: Receipt) -> ProofVerifierErrors {
    assert!(!r.is_success(), "expected a revert, got {r}");
    r.revert_error::<ProofVerifierErrors>()
        .unwrap_or_else(|| panic!("not a named proof-verifier error: {r}"))
}

/// The vault's ETH is exactly what it books (buffer, claims reserve, residuals owed to holders,
/// the wind-down's owners' pool) plus `unbooked`: withdrawals that arrived and are not proven.
pub(crate) fn assert_vault_eth_booked(chain: &Chain, vault: Address, unbooked: U256) {
    let buffer = chain.view(vault, &Vault::bufferCall {}).unwrap();
    let reserved = chain.view(vault, &Vault::reservedCall {}).unwrap();
    let residuals = chain.view(vault, &Vault::residualTotalGweiCall {}).unwrap();
    let owner_pool = chain.view(vault, &Vault::ownerPoolOwedCall {}).unwrap();
    let booked =
        U256::from(buffer) + U256::from(reserved) + gwei(residuals) + U256::from(owner_pool);
    assert_eq!(chain.balance(vault), booked + unbooked);
}

/// Deposit data with every byte derived from `seed` (not a valid BLS signature: the deposit
/// contract does not check it).
pub(crate) fn deposit_data(seed: u8, amount_gwei: u64) -> DepositData {
    DepositData {
        pubkey: PublicKeyBytes(std::array::from_fn(|i| seed ^ (i as u8))),
        withdrawal_credentials: B256::from(std::array::from_fn(|i| {
            seed.wrapping_mul(3) ^ (i as u8)
        })),
        amount: Gwei(amount_gwei),
        signature: SignatureBytes(std::array::from_fn(|i| seed.wrapping_add(i as u8))),
    }
}

/// hash_tree_root(DepositData), computed by `tree_hash` in Rust.
pub(crate) fn root_of(data: &DepositData) -> B256 {
    B256::from(data.tree_hash_root().0)
}

/// The `deposit(...)` call for `data` with its correct root.
pub(crate) fn deposit_call(data: &DepositData) -> DepositContract::depositCall {
    deposit_call_with_root(data, root_of(data))
}

/// The `deposit(...)` call for `data` claiming `root`.
pub(crate) fn deposit_call_with_root(
    data: &DepositData,
    root: B256,
) -> DepositContract::depositCall {
    DepositContract::depositCall {
        pubkey: data.pubkey.0.to_vec().into(),
        withdrawal_credentials: data.withdrawal_credentials.to_vec().into(),
        signature: data.signature.0.to_vec().into(),
        deposit_data_root: root,
    }
}

/// Sends `data` to the chain's deposit contract from `from`, paying `data.amount`.
pub(crate) fn deposit(chain: &mut Chain, from: Address, data: &DepositData) -> Receipt {
    let to = chain.deposit_contract();
    chain
        .send(from, to, &deposit_call(data), gwei(data.amount.0))
        .expect("valid transaction")
}

fn sha256_pair(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(a);
    h.update(b);
    h.finalize().into()
}

/// The deposit root computed from scratch: the full depth-32 tree over the leaves (absent leaves
/// are zero, so each level is padded with the zero subtree of its height), then the count mixed
/// in as a little-endian uint64 in a 32-byte chunk (phase0 deposit contract, SSZ
/// `hash_tree_root(List[DepositData, 2**32])`).
pub(crate) fn deposit_root(leaves: &[B256]) -> B256 {
    let mut level: Vec<[u8; 32]> = leaves.iter().map(|l| l.0).collect();
    let mut zero = [0u8; 32];
    for _height in 0..32 {
        if level.len() % 2 == 1 {
            level.push(zero);
        }
        level = level.chunks(2).map(|p| sha256_pair(&p[0], &p[1])).collect();
        zero = sha256_pair(&zero, &zero);
    }
    let tree_root = level.first().copied().unwrap_or(zero);
    let mut count = [0u8; 32];
    count[..8].copy_from_slice(&(leaves.len() as u64).to_le_bytes());
    B256::from(sha256_pair(&tree_root, &count))
}

/// `get_deposit_root()` and `get_deposit_count()` (as a number) of the chain's deposit contract.
pub(crate) fn contract_root_and_count(chain: &Chain) -> (B256, u64) {
    let to = chain.deposit_contract();
    let root = chain
        .view(to, &DepositContract::get_deposit_rootCall {})
        .unwrap();
    let count = chain
        .view(to, &DepositContract::get_deposit_countCall {})
        .unwrap();
    let count = u64::from_le_bytes(count.as_ref().try_into().expect("8 bytes"));
    (root, count)
}
