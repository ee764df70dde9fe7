//! Calls to the register-once device verifier (`contracts/src/DeviceRegistry.sol`): a device
//! registers a key made inside its enclave once, through the registry's inner device verifier
//! (`DcapDeviceVerifier`: its quote and collateral; `DevDeviceVerifier` on devnets: the dev
//! attester's signature), and each join after that carries that key's signature per device
//! (`lsv_attestation::multi::GroupEvidence::registry_contract_evidence`).
//!
//! The bindings the evidence covers are `lsv_attestation::device_key`'s
//! (`registration_binding`, `signature_digest`), held equal to the contract's views by
//! `crates/attestation/tests/device_registry.rs`.

use crate::bindings::DeviceRegistry;
use crate::dcap::{encode_device_evidence, EvidenceError, QuoteCollateral};
use alloy_primitives::{Address, Bytes};
use alloy_sol_types::SolCall;

/// `register(deviceKey, evidence)` calldata, `evidence` already in the inner verifier's format
/// (for `DevDeviceVerifier`, the dev attester's 65-byte signature over the registration
/// binding).
pub fn register_calldata(device_key: Address, evidence: &[u8]) -> Bytes {
    DeviceRegistry::registerCall {
        deviceKey: device_key,
        evidence: Bytes::copy_from_slice(evidence),
    }
    .abi_encode()
    .into()
}

/// `register(deviceKey, evidence)` calldata for a registry over `DcapDeviceVerifier`: the
/// device's DCAP quote over the registration binding, packed with its collateral as
/// [`encode_device_evidence`] packs it (`kind ‖ abi.encode(Evidence)`).
pub fn dcap_register_calldata(
    device_key: Address,
    quote: &[u8],
    collateral: &QuoteCollateral,
) -> Result<Bytes, EvidenceError> {
    Ok(register_calldata(
        device_key,
        &encode_device_evidence(quote, collateral)?,
    ))
}
