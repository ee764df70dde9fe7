//! What evidence of a key generation commits to: the binding (DESIGN.md, "Attestation").
//!
//! The vault (`contracts/src/Vault.sol`, `_binding`) recomputes the same 32 bytes from its own
//! immutables and the `join` arguments, so the layout here is fixed by the contract:
//!
//! ```text
//! sha256( DOMAIN_TAG 32 = sha256("lsv/keygen/v1") ‖ pubkey 48 ‖ withdrawal credentials 32
//!       ‖ owner 20 ‖ chain id 32 (uint256, big-endian) ‖ genesis validators root 32
//!       ‖ policy hash 32 )                                                   228 bytes
//! ```
//!
//! In an SGX quote the binding is the first half of `report_data`; the second half is zero.

use alloy_primitives::{Address, B256, U256};
use lsv_consensus::PublicKeyBytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name whose SHA-256 is the domain tag. A new binding layout gets a new name.
pub const DOMAIN_NAME: &[u8] = b"lsv/keygen/v1";

/// `sha256("lsv/keygen/v1")`, the vault's `DOMAIN_TAG`.
pub fn domain_tag() -> B256 {
    B256::from_slice(&Sha256::digest(DOMAIN_NAME))
}

/// Length of the binding's preimage: 32 + 48 + 32 + 20 + 32 + 32 + 32.
pub const PREIMAGE_LEN: usize = 228;

/// Everything a key-generation attestation vouches for. Every field is public; the evidence
/// proves that P generated `pubkey` with exactly these values, and never another set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGenerationClaim {
    /// The validator's BLS public key (48 bytes, compressed G1).
    pub pubkey: PublicKeyBytes,
    /// `0x02 ‖ 0^11 ‖ C`: the only credentials P signs a deposit for.
    pub withdrawal_credentials: B256,
    /// Who receives the sETH and the position. Binding it stops anyone who copies the public
    /// evidence from joining with it for themselves.
    pub owner: Address,
    /// The network's `DEPOSIT_CHAIN_ID`, which is C's `block.chainid`.
    pub chain_id: u64,
    /// The beacon chain P is pinned to.
    pub genesis_validators_root: B256,
    /// The hash of P's signing policy (`lsv_enclave::Policy::hash`): which rules P enforces.
    pub policy_hash: B256,
}

impl KeyGenerationClaim {
    /// The 228-byte preimage, laid out as the vault's `abi.encodePacked(...)`.
    pub fn preimage(&self) -> [u8; PREIMAGE_LEN] {
        let mut out = [0u8; PREIMAGE_LEN];
        let tag = domain_tag();
        let chain_id = U256::from(self.chain_id).to_be_bytes::<32>();
        let parts: [&[u8]; 7] = [
            tag.as_slice(),
            &self.pubkey.0,
            self.withdrawal_credentials.as_slice(),
            self.owner.as_slice(),
            &chain_id,
            self.genesis_validators_root.as_slice(),
            self.policy_hash.as_slice(),
        ];
        let mut at = 0;
        for part in parts {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        debug_assert_eq!(at, PREIMAGE_LEN);
        out
    }

    /// The binding: SHA-256 of [`Self::preimage`].
    pub fn binding(&self) -> B256 {
        B256::from_slice(&Sha256::digest(self.preimage()))
    }

    /// The 64 bytes of SGX `REPORTDATA` P asks for: the binding, then 32 zero bytes.
    pub fn report_data(&self) -> [u8; 64] {
        report_data_for(self.binding())
    }
}

/// `binding ‖ 0^32`, the `REPORTDATA` of a key-generation quote.
pub fn report_data_for(binding: B256) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(binding.as_slice());
    out
}
